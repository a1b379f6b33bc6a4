import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { expect } from "chai";
import { loadArchiveHandler } from "../support/archive";
import {
    apiEventMessage, CONFIRMATION_QUEUE_URL, eventArchives, eventBridgeObjectCreated, lambdaContext, s3Notification, sqsEvent, sqsRecord, TABLE, suiteMock,
} from "./events-support";

type BatchHandler = (event: SQSEvent, context: unknown) => Promise<SQSBatchResponse>;

const conditionFailed = () => new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} });

describe("events functions: event-processor and confirmation-sender archives", () => {
    const documents = suiteMock(DynamoDBDocumentClient);
    const sqs = suiteMock(SQSClient);
    /** A table that honours attribute_not_exists(eventId), like DynamoDB. */
    let table: Map<string, Record<string, unknown>>;
    let processor: BatchHandler;
    let sender: BatchHandler;

    before(async () => {
        const archives = await eventArchives("fnevp");
        processor = loadArchiveHandler<BatchHandler>(archives["event-processor"], { EVENTS_TABLE: TABLE, CONFIRMATION_QUEUE_URL, EVENT_TTL_DAYS: "30" });
        sender = loadArchiveHandler<BatchHandler>(archives["confirmation-sender"], { EVENTS_TABLE: TABLE });
    });

    beforeEach(() => {
        table = new Map();
        documents().reset();
        sqs().reset();
        documents().on(PutCommand).callsFake(input => {
            const item = input.Item as Record<string, unknown>;
            if (table.has(item.eventId as string)) {
                throw conditionFailed();
            }
            table.set(item.eventId as string, item);
            return {};
        });
        sqs().on(SendMessageCommand).resolves({ MessageId: "m" });
    });

    const confirmations = () => sqs().commandCalls(SendMessageCommand).map(call => JSON.parse(call.args[0].input.MessageBody as string));

    it("stores an S3 notification as one s3:ObjectCreated record with TTL and queues its confirmation", async () => {
        const response = await processor(sqsEvent(sqsRecord("m1", s3Notification("uploads-bucket", "uploads/my+report%281%29.csv", "v1"))), lambdaContext);
        expect(response.batchItemFailures).to.deep.equal([]);
        const [record] = [...table.values()];
        expect(record).to.deep.include({
            source: "s3", type: "s3:ObjectCreated", subject: "s3://uploads-bucket/uploads/my report(1).csv", status: "RECEIVED",
            receivedAt: "2026-01-01T00:00:00.000Z", expiresAt: 1767225600 + 30 * 86400,
        });
        expect(record.payload).to.deep.include({ bucket: "uploads-bucket", key: "uploads/my report(1).csv", versionId: "v1", size: 42 });
        expect(documents().commandCalls(PutCommand)[0].args[0].input).to.deep.include({ TableName: TABLE, ConditionExpression: "attribute_not_exists(eventId)" });
        expect(sqs().commandCalls(SendMessageCommand)[0].args[0].input.QueueUrl).to.equal(CONFIRMATION_QUEUE_URL);
        expect(confirmations()).to.deep.equal([{ eventId: record.eventId, receivedAt: "2026-01-01T00:00:00.000Z" }]);
    });

    it("stores an EventBridge Object Created event", async () => {
        const response = await processor(sqsEvent(sqsRecord("m1", eventBridgeObjectCreated("uploads-bucket", "uploads/a b.txt", "v9"))), lambdaContext);
        expect(response.batchItemFailures).to.deep.equal([]);
        expect([...table.values()][0]).to.deep.include({ source: "eventbridge", type: "s3:ObjectCreated", subject: "s3://uploads-bucket/uploads/a b.txt" });
    });

    it("stores an API event under the eventId the API gave it", async () => {
        await processor(sqsEvent(sqsRecord("m1", apiEventMessage("e-123"))), lambdaContext);
        expect(table.get("e-123")).to.deep.include({ source: "api", type: "order.created", subject: "order-1", payload: { amount: 3 } });
        expect(confirmations()).to.deep.equal([{ eventId: "e-123", receivedAt: "2026-01-01T00:00:00.000Z" }]);
    });

    it("collapses the S3 and EventBridge deliveries of one upload into one record and one confirmation", async () => {
        const response = await processor(sqsEvent(
            sqsRecord("m1", s3Notification("uploads-bucket", "uploads/same+file.txt", "v1")),
            sqsRecord("m2", eventBridgeObjectCreated("uploads-bucket", "uploads/same file.txt", "v1")),
        ), lambdaContext);
        expect(response.batchItemFailures).to.deep.equal([]);
        expect(table.size).to.equal(1);
        expect(confirmations()).to.have.length(1);
    });

    it("drops a redelivered API event without a second confirmation", async () => {
        await processor(sqsEvent(sqsRecord("m1", apiEventMessage("e-dup"))), lambdaContext);
        const response = await processor(sqsEvent(sqsRecord("m1", apiEventMessage("e-dup"))), lambdaContext);
        expect(response.batchItemFailures).to.deep.equal([]);
        expect(documents().commandCalls(PutCommand)).to.have.length(2);
        expect(confirmations()).to.have.length(1);
    });

    it("treats a new version of the same key as a new event", async () => {
        await processor(sqsEvent(
            sqsRecord("m1", s3Notification("uploads-bucket", "uploads/x.txt", "v1")),
            sqsRecord("m2", s3Notification("uploads-bucket", "uploads/x.txt", "v2")),
        ), lambdaContext);
        expect(table.size).to.equal(2);
    });

    it("fails only the poison message of a batch, so only it returns until the DLQ takes it", async () => {
        const response = await processor(sqsEvent(
            sqsRecord("ok-1", apiEventMessage("e-1")),
            sqsRecord("poison", "{not json"),
            sqsRecord("unknown-shape", JSON.stringify({ hello: "world" })),
            sqsRecord("ok-2", apiEventMessage("e-2")),
        ), lambdaContext);
        expect(response.batchItemFailures).to.deep.equal([{ itemIdentifier: "poison" }, { itemIdentifier: "unknown-shape" }]);
        expect([...table.keys()]).to.have.members(["e-1", "e-2"]);
        expect(confirmations().map(c => c.eventId)).to.have.members(["e-1", "e-2"]);
    });

    it("reports a batch of only poison messages as item failures instead of throwing", async () => {
        const response = await processor(sqsEvent(sqsRecord("p1", ""), sqsRecord("p2", "[]")), lambdaContext);
        expect(response.batchItemFailures).to.deep.equal([{ itemIdentifier: "p1" }, { itemIdentifier: "p2" }]);
    });

    it("acknowledges the s3:TestEvent S3 sends when the notification is created, storing nothing", async () => {
        const testEvent = JSON.stringify({ Service: "Amazon S3", Event: "s3:TestEvent", Time: "2026-01-01T00:00:00.000Z", Bucket: "uploads-bucket", RequestId: "r", HostId: "h" });
        const response = await processor(sqsEvent(sqsRecord("t", testEvent)), lambdaContext);
        expect(response.batchItemFailures).to.deep.equal([]);
        expect(documents().commandCalls(PutCommand)).to.have.length(0);
        expect(confirmations()).to.have.length(0);
    });

    it("when the confirmation cannot be queued, removes the record and fails the message so the retry confirms it", async () => {
        sqs().on(SendMessageCommand).rejectsOnce(new Error("SQS unavailable")).resolves({ MessageId: "m" });
        documents().on(DeleteCommand).callsFake(input => {
            table.delete((input.Key as { eventId: string }).eventId);
            return {};
        });
        const first = await processor(sqsEvent(sqsRecord("m1", apiEventMessage("e-retry"))), lambdaContext);
        expect(first.batchItemFailures).to.deep.equal([{ itemIdentifier: "m1" }]);
        expect(documents().commandCalls(DeleteCommand)[0].args[0].input).to.deep.include({ Key: { eventId: "e-retry" }, ConditionExpression: "#status = :received" });
        const retry = await processor(sqsEvent(sqsRecord("m1", apiEventMessage("e-retry"))), lambdaContext);
        expect(retry.batchItemFailures).to.deep.equal([]);
        expect(table.has("e-retry")).to.equal(true);
        expect(sqs().commandCalls(SendMessageCommand)).to.have.length(2);
    });

    it("confirmation-sender marks the event CONFIRMED with confirmedAt, only if it exists and is unconfirmed", async () => {
        documents().on(UpdateCommand).resolves({});
        const response = await sender(sqsEvent(sqsRecord("c1", JSON.stringify({ eventId: "e-1", receivedAt: "2026-01-01T00:00:00.000Z" }))), lambdaContext);
        expect(response.batchItemFailures).to.deep.equal([]);
        const input = documents().commandCalls(UpdateCommand)[0].args[0].input;
        expect(input).to.deep.include({ TableName: TABLE, Key: { eventId: "e-1" }, ConditionExpression: "attribute_exists(eventId) AND #status <> :confirmed" });
        expect(input.ExpressionAttributeValues?.[":confirmed"]).to.equal("CONFIRMED");
        expect(Date.parse(input.ExpressionAttributeValues?.[":now"])).to.be.closeTo(Date.now(), 60_000);
    });

    it("confirmation-sender accepts a redelivered confirmation without failing and fails only a body without eventId", async () => {
        documents().on(UpdateCommand).rejects(conditionFailed());
        const response = await sender(sqsEvent(
            sqsRecord("again", JSON.stringify({ eventId: "e-1" })),
            sqsRecord("bad", "{}"),
        ), lambdaContext);
        expect(response.batchItemFailures).to.deep.equal([{ itemIdentifier: "bad" }]);
    });
});
