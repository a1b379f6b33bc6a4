import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { expect } from "chai";
import { loadArchiveHandler } from "../support/archive";
import { eventArchives, proxyEvent, suiteMock, TABLE, TOPIC_ARN } from "./events-support";

type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

describe("events functions: event-api and event-reader archives", () => {
    const sns = suiteMock(SNSClient);
    const documents = suiteMock(DynamoDBDocumentClient);
    let publish: ProxyHandler;
    let read: ProxyHandler;

    before(async () => {
        const archives = await eventArchives("fneva");
        publish = loadArchiveHandler<ProxyHandler>(archives["event-api"], { EVENT_TOPIC_ARN: TOPIC_ARN });
        read = loadArchiveHandler<ProxyHandler>(archives["event-reader"], { EVENTS_TABLE: TABLE });
    });

    beforeEach(() => {
        sns().reset();
        documents().reset();
        sns().on(PublishCommand).resolves({ MessageId: "sns-1" });
    });

    it("publishes a valid event to the topic and answers 202 with its eventId", async () => {
        const response = await publish(proxyEvent(JSON.stringify({ type: "order.created", subject: "order-1", payload: { amount: 3 } })));
        expect(response.statusCode).to.equal(202);
        const body = JSON.parse(response.body);
        expect(body.status).to.equal("PUBLISHED");
        expect(body.eventId).to.match(/^[0-9a-f-]{36}$/);
        const input = sns().commandCalls(PublishCommand)[0].args[0].input;
        expect(input.TopicArn).to.equal(TOPIC_ARN);
        expect(JSON.parse(input.Message as string)).to.deep.include({ kind: "api-event", eventId: body.eventId, type: "order.created", subject: "order-1", payload: { amount: 3 } });
        expect(input.MessageAttributes).to.deep.equal({
            source: { DataType: "String", StringValue: "api" }, eventType: { DataType: "String", StringValue: "order.created" },
        });
    });

    const rejected: [string, APIGatewayProxyEvent, number, RegExp][] = [
        ["malformed JSON", proxyEvent("{\"type\": "), 400, /not valid JSON/],
        ["missing type", proxyEvent(JSON.stringify({ payload: {} })), 400, /type: /],
        ["empty type", proxyEvent(JSON.stringify({ type: "" })), 400, /type: /],
        ["payload that is not an object", proxyEvent(JSON.stringify({ type: "t", payload: [1] })), 400, /payload: /],
        ["object with its own toString key", proxyEvent(JSON.stringify({ type: "t", subject: { toString: 1 } })), 400, /subject: Expected a string/],
        ["unknown field", proxyEvent(JSON.stringify({ type: "t", extra: 1 })), 400, /extra: /],
        // fast-check's counterexample: superstruct throws while printing the failure of a field that holds such an object.
        ["missing type and an unknown field holding an object with its own toString key", proxyEvent(JSON.stringify({ extra: { toString: 0 } })), 400, /toString or valueOf key/],
        ["oversized payload", proxyEvent(JSON.stringify({ type: "t", payload: { blob: "x".repeat(17 * 1024) } })), 413, /larger than 16384 bytes/],
        ["wrong content type", proxyEvent("type=t", { "content-type": "application/x-www-form-urlencoded" }), 415, /Content-Type: application\/json/],
        ["empty body", proxyEvent(null), 400, /Body is empty/],
    ];
    for (const [problem, event, status, named] of rejected) {
        it(`answers ${status} naming the problem for ${problem}, publishing nothing`, async () => {
            const response = await publish(event);
            expect(response.statusCode).to.equal(status);
            expect(response.headers).to.include({ "Content-Type": "application/json" });
            expect(response.body).to.match(named);
            expect(sns().commandCalls(PublishCommand)).to.have.length(0);
        });
    }

    it("GET /events/{eventId} returns the record with its status", async () => {
        documents().on(GetCommand, { TableName: TABLE, Key: { eventId: "e-1" } }).resolves({ Item: { eventId: "e-1", status: "CONFIRMED", type: "t" } });
        const response = await read(proxyEvent(null, {}, { eventId: "e-1" }));
        expect(response.statusCode).to.equal(200);
        expect(JSON.parse(response.body)).to.deep.equal({ eventId: "e-1", status: "CONFIRMED", type: "t" });
    });

    it("GET /events/{eventId} answers 404 JSON for an unknown event", async () => {
        documents().on(GetCommand).resolves({});
        const response = await read(proxyEvent(null, {}, { eventId: "nope" }));
        expect(response.statusCode).to.equal(404);
        expect(JSON.parse(response.body)).to.deep.equal({ message: "Event nope not found" });
    });
});
