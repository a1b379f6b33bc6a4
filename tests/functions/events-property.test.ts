import { SNSClient, PublishCommand } from "@aws-sdk/client-sns";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { expect } from "chai";
import * as fc from "fast-check";
import { normaliseMessage } from "../../functions/events/event-format";
import { loadArchiveHandler } from "../support/archive";
import {
    apiEventMessage, CONFIRMATION_QUEUE_URL, eventArchives, eventBridgeObjectCreated, lambdaContext, proxyEvent, s3Notification, sqsEvent, sqsRecord, TABLE, TOPIC_ARN, suiteMock,
} from "./events-support";

type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
type BatchHandler = (event: SQSEvent, context: unknown) => Promise<SQSBatchResponse>;

const RUNS = 1000;

/** Bodies a client might send: arbitrary text, arbitrary JSON, and near-valid events with wrong or extra fields. */
const requestBodies = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.json({ maxDepth: 3 }),
    fc.record({
        type: fc.oneof(fc.string({ maxLength: 140 }), fc.integer(), fc.constant(null)),
        subject: fc.option(fc.oneof(fc.string({ maxLength: 600 }), fc.boolean()), { nil: undefined }),
        payload: fc.option(fc.oneof(fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 })), fc.array(fc.integer()), fc.string()), { nil: undefined }),
        extra: fc.option(fc.anything({ maxDepth: 1 }), { nil: undefined }),
        // Keys that break naive printing of values in validation messages.
        toString: fc.option(fc.jsonValue({ maxDepth: 1 }), { nil: undefined }),
    }, { requiredKeys: [] }).map(body => JSON.stringify(body)),
);

/** Queue bodies: arbitrary text and JSON, and real event shapes with fields replaced by arbitrary values. */
const queueBodies = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.json({ maxDepth: 4 }),
    fc.tuple(fc.constantFrom(
        s3Notification("b", "uploads/k%20", "v1"), eventBridgeObjectCreated("b", "uploads/k", "v1"), apiEventMessage("e-1"),
    ), fc.jsonValue({ maxDepth: 2 }), fc.nat()).map(([body, value, pick]) => {
        const parsed = JSON.parse(body);
        const paths: string[][] = [["Records"], ["detail"], ["detail", "object"], ["detail", "bucket", "name"], ["eventId"], ["type"], ["payload"], ["Records", "0", "s3", "object", "key"]];
        const path = paths[pick % paths.length];
        let target = parsed;
        for (const step of path.slice(0, -1)) {
            if (typeof target?.[step] !== "object" || target[step] === null) {
                return JSON.stringify(parsed);
            }
            target = target[step];
        }
        target[path[path.length - 1]] = value;
        return JSON.stringify(parsed);
    }),
);

describe("events property: 1,000 generated bodies never cause an unhandled error", () => {
    const sns = suiteMock(SNSClient);
    const sqs = suiteMock(SQSClient);
    const documents = suiteMock(DynamoDBDocumentClient);
    let publish: ProxyHandler;
    let processor: BatchHandler;

    before(async () => {
        const archives = await eventArchives("fnevprop");
        publish = loadArchiveHandler<ProxyHandler>(archives["event-api"], { EVENT_TOPIC_ARN: TOPIC_ARN });
        processor = loadArchiveHandler<BatchHandler>(archives["event-processor"], { EVENTS_TABLE: TABLE, CONFIRMATION_QUEUE_URL, EVENT_TTL_DAYS: "30" });
        sns().on(PublishCommand).resolves({ MessageId: "m" });
        sqs().on(SendMessageCommand).resolves({ MessageId: "m" });
        documents().on(PutCommand).resolves({});
    });

    it("POST /events answers 202 or a JSON 4xx, and publishes only what it accepted", async () => {
        await fc.assert(fc.asyncProperty(requestBodies, async body => {
            const publishedBefore = sns().commandCalls(PublishCommand).length;
            const response = await publish(proxyEvent(body));
            const published = sns().commandCalls(PublishCommand).length - publishedBefore;
            expect([202, 400, 413]).to.include(response.statusCode);
            expect(JSON.parse(response.body)).to.be.an("object");
            expect(published).to.equal(response.statusCode === 202 ? 1 : 0);
        }), { numRuns: RUNS });
    });

    it("normalisation returns events or a reason, never throws, and every event has the full record shape", () => {
        fc.assert(fc.property(queueBodies, body => {
            const result = normaliseMessage(body, "2026-01-01T00:00:00.000Z");
            if (result.ok) {
                for (const event of result.events) {
                    expect(event.eventId).to.be.a("string").with.length.above(0);
                    expect(["s3", "eventbridge", "api"]).to.include(event.source);
                    expect(event.type).to.be.a("string").with.length.above(0);
                    expect(event.subject).to.be.a("string");
                    expect(event.payload).to.be.an("object");
                }
            } else {
                expect(result.reason).to.be.a("string").with.length.above(0);
            }
        }), { numRuns: RUNS });
    });

    it("event-processor answers every generated message with a batch response, failing exactly the unprocessable ones", async () => {
        await fc.assert(fc.asyncProperty(queueBodies, async body => {
            const response = await processor(sqsEvent(sqsRecord("m", body)), lambdaContext);
            const unprocessable = !normaliseMessage(body, "2026-01-01T00:00:00.000Z").ok;
            expect(response.batchItemFailures).to.deep.equal(unprocessable ? [{ itemIdentifier: "m" }] : []);
        }), { numRuns: RUNS });
    });
});
