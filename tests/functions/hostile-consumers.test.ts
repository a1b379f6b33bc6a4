import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { expect } from "chai";
import { randomUUID } from "crypto";
import * as fc from "fast-check";
import * as http from "http";
import type { AddressInfo } from "net";
import { EventPipeline } from "../../components/event-pipeline";
import { OrderFulfillment } from "../../components/order-fulfillment";
import { ReplicationPipeline } from "../../components/replication-pipeline";
import { loadArchiveHandler } from "../support/archive";
import { archiveOf, one, promiseOf, resourcesUnder } from "../support/pulumi";
import { useRealSdkClients } from "../support/real-sdk-clients";
import { suiteMock } from "./events-support";
import { poisonBody } from "./hostile-arbitraries";

type BatchHandler = (event: SQSEvent, context: unknown) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
const dynalite: (options: Record<string, unknown>) => http.Server = require("dynalite");
const context = { functionName: "test", awsRequestId: "r", getRemainingTimeInMillis: () => 30_000 };
const RUNS = 60;

function record(messageId: string, body: string, receiveCount = 1): SQSRecord {
    return {
        messageId, receiptHandle: `rh-${messageId}`, body, md5OfBody: "", eventSource: "aws:sqs", eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:q", awsRegion: "us-east-1",
        attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: "0", SenderId: "s", ApproximateFirstReceiveTimestamp: "0" }, messageAttributes: {},
    };
}

/** Runs `work` collecting the JSON lines the handlers log with console.error (console.log lines are dropped: hundreds per run). */
async function loggedErrors<T>(work: () => Promise<T>): Promise<{ result: T; lines: any[] }> {
    const lines: any[] = [];
    const { error, log } = console;
    console.error = (line: unknown) => lines.push(typeof line === "string" && line.startsWith("{") ? JSON.parse(line) : line);
    console.log = () => undefined;
    try {
        return { result: await work(), lines };
    } finally {
        Object.assign(console, { error, log });
    }
}

/** A delivery to a consumer: a poison body, or a message about one item in a given state, delivered 1-3 times (a redelivery keeps its message id). */
type Delivery = { kind: "poison"; body: string } | { kind: "item"; state: string; copies: number; sameMessage: boolean };
const deliveryOf = (states: readonly string[]): fc.Arbitrary<Delivery> => fc.oneof(
    poisonBody.filter(body => body.length < 4096).map(body => ({ kind: "poison" as const, body })),
    fc.record({ kind: fc.constant("item" as const), state: fc.constantFrom(...states), copies: fc.integer({ min: 1, max: 3 }), sameMessage: fc.boolean() }),
);

describe("queue consumers under poison messages and duplicate deliveries (archives, real DynamoDB semantics from dynalite)", () => {
    const s3 = suiteMock(S3Client);
    // fulfill-order's retry-delay calls; what they send is tests/functions/orders-retry-backoff.test.ts's subject.
    suiteMock(SQSClient);
    let server: http.Server;
    let documents: DynamoDBDocumentClient;
    let handBackStubs: () => void;
    const handlers: Record<string, BatchHandler> = {};
    const env = { ORDERS_TABLE: "hc-orders", FAILED_ORDERS_TABLE: "hc-failed_orders", EVENTS_TABLE: "hc-events", BUILDS_BUCKET: "hc-builds" };

    before(async () => {
        handBackStubs = useRealSdkClients([DynamoDBDocumentClient, DynamoDBClient]);
        server = dynalite({ createTableMs: 0 });
        await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
        const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const client = new DynamoDBClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
        documents = DynamoDBDocumentClient.from(client);
        for (const [TableName, key] of [[env.ORDERS_TABLE, "order_id"], [env.FAILED_ORDERS_TABLE, "order_id"], [env.EVENTS_TABLE, "eventId"]]) {
            await client.send(new CreateTableCommand({ TableName, KeySchema: [{ AttributeName: key, KeyType: "HASH" }], AttributeDefinitions: [{ AttributeName: key, AttributeType: "S" }], BillingMode: "PAY_PER_REQUEST" }));
        }
        const platform = { namePrefix: "hc", local: true };
        const orders = new OrderFulfillment("hc-orders", { platform });
        const events = new EventPipeline("hc-events", { platform });
        const replication = new ReplicationPipeline("hc-replication", { platform });
        await Promise.all([promiseOf(orders.stateMachineArn), promiseOf(events.apiUrl), promiseOf(replication.buildsApiUrl)]);
        const resources = [...await resourcesUnder("hc-orders"), ...await resourcesUnder("hc-events"), ...await resourcesUnder("hc-replication")];
        const archive = (name: string) => archiveOf(one(resources, "aws:lambda/function:Function", fn => fn.inputs.name === `hc-${name}`));
        const withEndpoint = { ...env, AWS_ENDPOINT_URL_DYNAMODB: endpoint, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" };
        handlers.dlq = loadArchiveHandler(archive("order-dlq-processor"), withEndpoint);
        const fulfilEnv = { ...one(resources, "aws:lambda/function:Function", fn => fn.inputs.name === "hc-fulfill-order").inputs.environment.variables, ...withEndpoint };
        handlers.fulfilAlways = loadArchiveHandler(archive("fulfill-order"), { ...fulfilEnv, SUCCESS_RATE: "1" });
        handlers.fulfilNever = loadArchiveHandler(archive("fulfill-order"), { ...fulfilEnv, SUCCESS_RATE: "0" });
        handlers.confirm = loadArchiveHandler(archive("confirmation-sender"), withEndpoint);
        handlers.build = loadArchiveHandler(archive("build-worker"), withEndpoint);
    });
    after(async () => {
        delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
        handBackStubs();
        await new Promise(resolve => server.close(resolve));
    });

    const getOrder = async (table: string, key: Record<string, string>) => (await documents.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;

    /** Creates the item each delivery is about, builds the records (copies share a message id when redelivered), and runs them in one batch. */
    async function deliver(handler: BatchHandler, deliveries: Delivery[], seed: (state: string) => Promise<{ key: string; body: string }>) {
        const records: SQSRecord[] = [];
        const items: { state: string; key: string; messageIds: string[] }[] = [];
        const poison: string[] = [];
        for (const delivery of deliveries) {
            if (delivery.kind === "poison") {
                const messageId = randomUUID();
                poison.push(messageId);
                records.push(record(messageId, delivery.body));
                continue;
            }
            const { key, body } = await seed(delivery.state);
            const shared = randomUUID();
            const messageIds = Array.from({ length: delivery.copies }, () => delivery.sameMessage ? shared : randomUUID());
            items.push({ state: delivery.state, key, messageIds });
            records.push(...messageIds.map((messageId, copy) => record(messageId, body, copy + 1)));
        }
        const { result, lines } = await loggedErrors(() => handler({ Records: records }, context));
        const failed = result.batchItemFailures.map(failure => failure.itemIdentifier);
        // Every failed record is in the log with its id and a reason: SQS redrive keeps none.
        for (const messageId of failed) {
            expect(lines.some(line => line?.event === "message-failed" && line.messageId === messageId && String(line.reason).length > 0), messageId).to.equal(true);
        }
        return { failed, items, poison };
    }

    const ORDER_STATES = ["PROCESSING", "FULFILLED", "REJECTED", "FAILED", "missing"] as const;
    const seedOrder = async (status: string) => {
        const orderId = randomUUID();
        if (status !== "missing") {
            await documents.send(new PutCommand({ TableName: env.ORDERS_TABLE, Item: { order_id: orderId, status, statusHistory: [{ status, at: "t0" }], ...(status === "FAILED" ? { dlqMessageId: "an-earlier-message" } : {}) } }));
        }
        return { key: orderId, body: JSON.stringify({ orderId, customerId: "CUST-0001", productId: "PROD-0001", quantity: 1, price: 5, totalAmount: 5 }) };
    };

    it(`order-dlq-processor never fails a record or loops: poison → one unprocessable row, PROCESSING → FAILED once with one row, terminal orders untouched (${RUNS} runs)`, async () => {
        await fc.assert(fc.asyncProperty(fc.array(deliveryOf(ORDER_STATES), { minLength: 1, maxLength: 6 }), async deliveries => {
            const { failed, items, poison } = await deliver(handlers.dlq, deliveries, seedOrder);
            expect(failed).to.deep.equal([]);
            for (const messageId of poison) {
                expect(await getOrder(env.FAILED_ORDERS_TABLE, { order_id: `unprocessable:${messageId}` })).to.deep.include({ reason: "unprocessable", dlqMessageId: messageId });
            }
            for (const { state, key, messageIds } of items) {
                const order = await getOrder(env.ORDERS_TABLE, { order_id: key });
                const row = await getOrder(env.FAILED_ORDERS_TABLE, { order_id: key });
                if (state === "PROCESSING") {
                    expect(order?.status).to.equal("FAILED");
                    expect(order!.statusHistory.filter((change: { status: string }) => change.status === "FAILED")).to.have.length(1);
                    expect(messageIds).to.include(row?.dlqMessageId);
                } else if (state === "missing") {
                    expect(row).to.equal(undefined);
                    for (const messageId of messageIds) {
                        expect(await getOrder(env.FAILED_ORDERS_TABLE, { order_id: `unprocessable:${messageId}` })).to.deep.include({ reason: "unprocessable" });
                    }
                } else {
                    expect(order?.status, `${state} stays`).to.equal(state);
                    expect(order!.statusHistory).to.have.length(1);
                    expect(row, `no failed_orders row for a ${state} order`).to.equal(undefined);
                }
            }
        }), { numRuns: RUNS, seed: 21 });
    });

    it(`fulfill-order: poison and unknown orders fail (to the DLQ, logged), duplicates fulfil once, terminal orders stay as they are (${RUNS} runs)`, async () => {
        await fc.assert(fc.asyncProperty(fc.array(deliveryOf(ORDER_STATES), { minLength: 1, maxLength: 6 }), fc.boolean(), async (deliveries, succeeds) => {
            const { failed, items, poison } = await deliver(succeeds ? handlers.fulfilAlways : handlers.fulfilNever, deliveries, seedOrder);
            expect(failed).to.include.members(poison);
            for (const { state, key, messageIds } of items) {
                const order = await getOrder(env.ORDERS_TABLE, { order_id: key });
                const failedCopies = messageIds.filter(id => failed.includes(id));
                if (state === "missing") {
                    expect(failedCopies).to.have.length(messageIds.length);
                } else if (state === "PROCESSING" && succeeds) {
                    expect(order?.status).to.equal("FULFILLED");
                    expect(order!.statusHistory.filter((change: { status: string }) => change.status === "FULFILLED")).to.have.length(1);
                    expect(failedCopies).to.deep.equal([]);
                } else if (state === "PROCESSING") {
                    expect(order).to.deep.include({ status: "PROCESSING" });
                    expect(order!.lastError).to.match(/failed: warehouse could not ship the order/);
                    expect(failedCopies).to.have.length(messageIds.length);
                } else {
                    expect(order).to.deep.include({ status: state });
                    expect(order!.statusHistory).to.have.length(1);
                    expect(failedCopies).to.deep.equal([]);
                }
            }
        }), { numRuns: RUNS, seed: 22 });
    });

    it(`confirmation-sender: poison (no eventId, lone surrogate, oversized id) fails logged; duplicates confirm once; unknown events are dropped (${RUNS} runs)`, async () => {
        const EVENT_STATES = ["RECEIVED", "CONFIRMED", "missing", "lone surrogate id", "oversized id"] as const;
        const poisonIds = ["lone surrogate id", "oversized id"];
        const seedEvent = async (state: string) => {
            const eventId = state === "lone surrogate id" ? `e-\ud800-${randomUUID()}` : state === "oversized id" ? `${randomUUID()}${"x".repeat(300)}` : randomUUID();
            if (state === "RECEIVED" || state === "CONFIRMED") {
                await documents.send(new PutCommand({ TableName: env.EVENTS_TABLE, Item: { eventId, status: state, ...(state === "CONFIRMED" ? { confirmedAt: "t0" } : {}) } }));
            }
            return { key: eventId, body: JSON.stringify({ eventId, receivedAt: "t0" }) };
        };
        await fc.assert(fc.asyncProperty(fc.array(deliveryOf(EVENT_STATES), { minLength: 1, maxLength: 6 }), async deliveries => {
            const { failed, items, poison } = await deliver(handlers.confirm, deliveries, seedEvent);
            expect(failed).to.include.members(poison);
            for (const { state, key, messageIds } of items) {
                const failedCopies = messageIds.filter(id => failed.includes(id));
                expect(failedCopies, state).to.have.length(poisonIds.includes(state) ? messageIds.length : 0);
                if (state === "RECEIVED" || state === "CONFIRMED") {
                    const event = await getOrder(env.EVENTS_TABLE, { eventId: key });
                    expect(event?.status).to.equal("CONFIRMED");
                    expect(event?.confirmedAt === "t0").to.equal(state === "CONFIRMED");
                }
            }
            const events = (await documents.send(new ScanCommand({ TableName: env.EVENTS_TABLE, ConsistentRead: true }))).Items ?? [];
            expect(events.every(event => typeof event.eventId === "string" && !event.eventId.includes("\ud800"))).to.equal(true);
        }), { numRuns: RUNS, seed: 23 });
    });

    it(`build-worker: poison fails logged, a redelivered message (same id) uploads its artifact once, distinct messages one each (${RUNS} runs)`, async () => {
        const objects = new Set<string>();
        s3().on(PutObjectCommand).callsFake(async input => {
            if (objects.has(input.Key)) {
                throw new S3ServiceException({ name: "PreconditionFailed", $fault: "client", $metadata: { httpStatusCode: 412 }, message: "At least one of the pre-conditions you specified did not hold" });
            }
            objects.add(input.Key);
            return { ETag: "\"e\"" };
        });
        await fc.assert(fc.asyncProperty(fc.array(deliveryOf(["commit"] as const), { minLength: 1, maxLength: 6 }), async deliveries => {
            const before = objects.size;
            const { failed, items, poison } = await deliver(handlers.build, deliveries, async () => ({ key: "", body: JSON.stringify({ commit: `c${randomUUID().slice(0, 8)}` }) }));
            expect([...failed].sort()).to.deep.equal([...poison].sort());
            const distinctMessages = items.reduce((sum, { messageIds }) => sum + new Set(messageIds).size, 0);
            expect(objects.size - before).to.equal(distinctMessages);
        }), { numRuns: RUNS, seed: 24 });
    });
});
