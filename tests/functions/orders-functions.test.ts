import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { SQSEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { OrderFulfillment } from "../../components/order-fulfillment";
import { RecordedResource } from "../../sandbox/mock-cloud";
import { archiveSize } from "../../sandbox/archive";
import { loadArchiveHandler } from "../support/archive";
import { PROJECT_DIR } from "../support/program";
import { archiveOf, one, promiseOf, resourcesUnder } from "../support/pulumi";

const ORDERS = "dofs-test-orders";
const FAILED = "dofs-test-failed_orders";
const MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:dofs-test-order-workflow";
const RETRY_SETTINGS = { ORDER_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/q", MAX_RECEIVE_COUNT: "3", RETRY_BASE_DELAY_SECONDS: "2", RETRY_MAX_DELAY_SECONDS: "60" };
const ORDER_ID = "0f8fad5b-d9cb-469f-a165-70867728950e";
const conditionFailed = () => Object.assign(new Error("The conditional request failed"), { name: "ConditionalCheckFailedException" });

function sqsEvent(bodies: object[], receiveCount = 1): SQSEvent {
    return {
        Records: bodies.map((body, index) => ({
            messageId: `m-${index}`, receiptHandle: `r-${index}`, body: JSON.stringify(body),
            attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: "0", SenderId: "s", ApproximateFirstReceiveTimestamp: "0" },
            messageAttributes: {}, md5OfBody: "", eventSource: "aws:sqs", eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:q", awsRegion: "us-east-1",
        })),
    };
}

function post(body: string, headers: Record<string, string> = { "Content-Type": "application/json" }) {
    return { body, headers, isBase64Encoded: false, httpMethod: "POST", path: "/order", pathParameters: null } as never;
}

describe("order functions (serialized archives)", () => {
    const documents = mockClient(DynamoDBDocumentClient);
    const stepFunctions = mockClient(SFNClient);
    // fulfill-order sets failed messages' retry delay; tests/functions/orders-retry-backoff.test.ts checks those calls.
    const queue = mockClient(SQSClient);
    let resources: RecordedResource[];
    const handlerOf = (name: string, env: Record<string, string> = {}): any =>
        loadArchiveHandler(archiveOf(one(resources, "aws:lambda/function:Function", r => r.inputs.name === `dofs-test-${name}`)),
            { ORDERS_TABLE: ORDERS, FAILED_ORDERS_TABLE: FAILED, STATE_MACHINE_ARN: MACHINE, ...RETRY_SETTINGS, ...env });

    before(async () => {
        const orders = new OrderFulfillment("of-artifacts", { platform: { namePrefix: "dofs-test", local: true } });
        await promiseOf(orders.stateMachineArn);
        resources = await resourcesUnder("of-artifacts");
    });
    beforeEach(() => {
        documents.reset();
        stepFunctions.reset();
        queue.reset();
    });
    after(() => {
        documents.restore();
        stepFunctions.restore();
        queue.restore();
    });

    it("keeps every archive under 256 KiB", () => {
        const sizes = Object.fromEntries(resources.filter(r => r.type === "aws:lambda/function:Function")
            .map(r => [r.inputs.name, archiveSize(PROJECT_DIR, archiveOf(r))]));
        console.log("      archive bytes:", JSON.stringify(sizes));
        expect(Object.keys(sizes)).to.have.length(7);
        for (const size of Object.values(sizes)) {
            expect(size).to.be.below(256 * 1024);
        }
    });

    describe("api-handler", () => {
        it("records a PENDING order, starts the workflow named by the orderId and answers 202", async () => {
            stepFunctions.on(StartExecutionCommand).resolves({ executionArn: "arn:exec", startDate: new Date() });
            const order = { customerId: "CUST-0001", productId: "PROD-0001", quantity: 2, price: 29.99 };
            const response = await handlerOf("order-api-handler")(post(JSON.stringify(order)));
            expect(response.statusCode).to.equal(202);
            const body = JSON.parse(response.body);
            expect(body).to.deep.include({ status: "ACCEPTED", executionArn: "arn:exec" });
            expect(body.orderId).to.match(/^[0-9a-f-]{36}$/);
            expect(body.message).to.include(body.orderId);
            const put = documents.commandCalls(PutCommand)[0].args[0].input;
            expect(put).to.deep.include({ TableName: ORDERS, ConditionExpression: "attribute_not_exists(order_id)" });
            expect(put.Item).to.deep.include({ order_id: body.orderId, ...order, status: "PENDING" });
            expect(put.Item!.statusHistory).to.have.length(1);
            const start = stepFunctions.commandCalls(StartExecutionCommand)[0].args[0].input;
            expect(start).to.deep.include({ stateMachineArn: MACHINE, name: body.orderId });
            expect(JSON.parse(start.input!)).to.deep.equal({ orderId: body.orderId, ...order });
        });

        it("marks the order FAILED with the cause and answers 503 when the workflow cannot be started", async () => {
            stepFunctions.on(StartExecutionCommand).rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }));
            const response = await handlerOf("order-api-handler")(post(JSON.stringify({ customerId: "CUST-0001", productId: "PROD-0001", quantity: 1, price: 5 })));
            expect(response.statusCode).to.equal(503);
            const body = JSON.parse(response.body);
            expect(body).to.deep.include({ status: "FAILED" });
            const update = documents.commandCalls(UpdateCommand)[0].args[0].input;
            expect(update.Key).to.deep.equal({ order_id: body.orderId });
            expect(update.ConditionExpression).to.equal("#status = :from");
            expect(update.ExpressionAttributeValues).to.deep.include({ ":from": "PENDING", ":to": "FAILED" });
            expect(update.ExpressionAttributeValues![":lastError"]).to.match(/could not be started: ThrottlingException: Rate exceeded/);
        });

        const badRequests: [string, string, number, RegExp][] = [
            ["malformed JSON", "{\"customerId\": ", 400, /not valid JSON/],
            ["a JSON array", "[1,2]", 400, /body: Expected an object/],
            ["wrong types", JSON.stringify({ customerId: 1, productId: "PROD-0001", quantity: "2", price: 1 }), 400, /customerId.*quantity/],
            ["missing fields", JSON.stringify({ customerId: "CUST-0001" }), 400, /productId.*quantity.*price/],
            ["extra fields", JSON.stringify({ customerId: "CUST-0001", productId: "PROD-0001", quantity: 1, price: 1, discount: 5 }), 400, /discount/],
            ["an oversized body", JSON.stringify({ customerId: "x".repeat(20000), productId: "PROD-0001", quantity: 1, price: 1 }), 413, /larger than/],
        ];
        for (const [label, body, status, problem] of badRequests) {
            it(`answers ${status} naming the problem and starts nothing for ${label}`, async () => {
                const response = await handlerOf("order-api-handler")(post(body));
                expect(response.statusCode).to.equal(status);
                expect(response.body).to.match(problem);
                expect(documents.calls()).to.have.length(0);
                expect(stepFunctions.calls()).to.have.length(0);
            });
        }

        it("answers 415 for a body that is not JSON", async () => {
            const response = await handlerOf("order-api-handler")(post("a=b", { "Content-Type": "text/plain" }));
            expect(response.statusCode).to.equal(415);
            expect(stepFunctions.calls()).to.have.length(0);
        });
    });

    describe("validate-order", () => {
        it("accepts a valid order and computes the total to the cent", async () => {
            const result = await handlerOf("validate-order")({ orderId: ORDER_ID, customerId: "CUST-1234", productId: "PROD-5678", quantity: 3, price: 19.99 });
            expect(result).to.deep.equal({ valid: true, reasons: [], totalAmount: 59.97 });
        });

        const invalid: [string, object, RegExp][] = [
            ["customer id format", { customerId: "CUST-12", productId: "PROD-0001", quantity: 1, price: 1 }, /^customerId/],
            ["product id format", { customerId: "CUST-0001", productId: "prod-0001", quantity: 1, price: 1 }, /^productId/],
            ["zero quantity", { customerId: "CUST-0001", productId: "PROD-0001", quantity: 0, price: 1 }, /^quantity/],
            ["fractional quantity", { customerId: "CUST-0001", productId: "PROD-0001", quantity: 1.5, price: 1 }, /^quantity/],
            ["negative price", { customerId: "CUST-0001", productId: "PROD-0001", quantity: 1, price: -5 }, /^price/],
            ["sub-cent price", { customerId: "CUST-0001", productId: "PROD-0001", quantity: 1, price: 1.005 }, /^price/],
            ["total that overflows", { customerId: "CUST-0001", productId: "PROD-0001", quantity: 1e9, price: 1e9 }, /^totalAmount/],
        ];
        for (const [label, order, reason] of invalid) {
            it(`rejects a ${label} with a reason`, async () => {
                const result = await handlerOf("validate-order")({ orderId: ORDER_ID, ...order });
                expect(result.valid).to.equal(false);
                expect(result.totalAmount).to.equal(null);
                expect(result.reasons).to.have.length(1);
                expect(result.reasons[0]).to.match(reason);
            });
        }
    });

    describe("store-order and reject-order", () => {
        it("moves PENDING → PROCESSING with the total, conditionally, appending to the history", async () => {
            const result = await handlerOf("store-order")({ orderId: ORDER_ID, totalAmount: 59.97 });
            expect(result).to.deep.equal({ orderId: ORDER_ID, status: "PROCESSING", alreadyRecorded: false });
            const update = documents.commandCalls(UpdateCommand)[0].args[0].input;
            expect(update).to.deep.include({ TableName: ORDERS, Key: { order_id: ORDER_ID }, ConditionExpression: "#status = :from" });
            expect(update.ExpressionAttributeValues).to.deep.include({ ":from": "PENDING", ":to": "PROCESSING", ":totalAmount": 59.97 });
            expect(update.UpdateExpression).to.include("list_append(");
        });

        it("treats a replay as done: the condition fails and the order keeps its current status", async () => {
            documents.on(UpdateCommand).rejects(conditionFailed());
            documents.on(GetCommand).resolves({ Item: { order_id: ORDER_ID, status: "FULFILLED" } });
            const result = await handlerOf("store-order")({ orderId: ORDER_ID, totalAmount: 59.97 });
            expect(result).to.deep.equal({ orderId: ORDER_ID, status: "FULFILLED", alreadyRecorded: true });
            expect(documents.commandCalls(UpdateCommand)).to.have.length(1);
        });

        it("renames DynamoDB throttling to TransientStorageError so the state machine retries it", async () => {
            documents.on(UpdateCommand).rejects(Object.assign(new Error("slow down"), { name: "ProvisionedThroughputExceededException" }));
            const error = await handlerOf("store-order")({ orderId: ORDER_ID, totalAmount: 1 }).catch((e: Error) => e);
            expect(error.name).to.equal("TransientStorageError");
        });

        it("fails with OrderNotFound when there is no PENDING record to move", async () => {
            documents.on(UpdateCommand).rejects(conditionFailed());
            documents.on(GetCommand).resolves({});
            const error = await handlerOf("store-order")({ orderId: ORDER_ID, totalAmount: 1 }).catch((e: Error) => e);
            expect(error.name).to.equal("OrderNotFound");
        });

        it("moves PENDING → REJECTED and stores every reason", async () => {
            const reasons = ["quantity: must be a whole number greater than 0, got 0", "price: must be greater than 0 with at most 2 decimals, got -1"];
            const result = await handlerOf("reject-order")({ orderId: ORDER_ID, reasons });
            expect(result.status).to.equal("REJECTED");
            const update = documents.commandCalls(UpdateCommand)[0].args[0].input;
            expect(update.ExpressionAttributeValues).to.deep.include({ ":from": "PENDING", ":to": "REJECTED", ":rejectionReasons": reasons });
        });
    });

    describe("fulfill-order", () => {
        const message = { orderId: ORDER_ID, customerId: "CUST-0001", productId: "PROD-0001", quantity: 1, price: 5, totalAmount: 5 };

        it("at rate 1 marks the order FULFILLED with tracking number, carrier and estimated delivery", async () => {
            const result = await handlerOf("fulfill-order", { SUCCESS_RATE: "1", FULFILLMENT_SEED: "7" })(sqsEvent([message]), {});
            expect(result).to.deep.equal({ batchItemFailures: [] });
            const update = documents.commandCalls(UpdateCommand)[0].args[0].input;
            const values = update.ExpressionAttributeValues!;
            expect(values).to.deep.include({ ":from": "PROCESSING", ":to": "FULFILLED", ":fulfilmentAttempts": 1 });
            expect(values[":trackingNumber"]).to.match(/^TRK\d+[A-Z0-9]{5}$/);
            expect(values[":carrier"]).to.be.a("string").and.match(/_SHIPPING$/);
            expect(Date.parse(values[":estimatedDelivery"])).to.be.above(Date.now());
        });

        it("at rate 0 notes the error on the order and reports the record failed so SQS retries it", async () => {
            const result = await handlerOf("fulfill-order", { SUCCESS_RATE: "0", FULFILLMENT_SEED: "7" })(sqsEvent([message], 2), {});
            expect(result).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "m-0" }] });
            const update = documents.commandCalls(UpdateCommand)[0].args[0].input;
            expect(update.ExpressionAttributeValues).to.deep.include({ ":processing": "PROCESSING", ":attempt": 2 });
            expect(update.ExpressionAttributeValues![":error"]).to.match(/attempt 2 failed/);
        });

        it("makes the same decisions for the same seed", async () => {
            const batch = sqsEvent(Array.from({ length: 10 }, () => message));
            const first = await handlerOf("fulfill-order", { SUCCESS_RATE: "0.7", FULFILLMENT_SEED: "42" })(batch, {});
            const second = await handlerOf("fulfill-order", { SUCCESS_RATE: "0.7", FULFILLMENT_SEED: "42" })(batch, {});
            expect(first).to.deep.equal(second);
            expect(first.batchItemFailures.length).to.be.within(1, 9);
        });

        it("ignores a duplicate delivery of an order that already left PROCESSING", async () => {
            documents.on(UpdateCommand).rejects(conditionFailed());
            documents.on(GetCommand).resolves({ Item: { order_id: ORDER_ID, status: "FULFILLED" } });
            for (const rate of ["0", "1"]) {
                const result = await handlerOf("fulfill-order", { SUCCESS_RATE: rate })(sqsEvent([message]), {});
                expect(result, `rate ${rate}`).to.deep.equal({ batchItemFailures: [] });
            }
        });

        it("fails a message naming no order, or no order message at all, so it reaches the DLQ", async () => {
            documents.on(UpdateCommand).rejects(conditionFailed());
            documents.on(GetCommand).resolves({});
            const event = sqsEvent([message, {}, { orderId: "../x" }]);
            event.Records.push({ ...event.Records[0], messageId: "m-3", body: "{not json" });
            const result = await handlerOf("fulfill-order", { SUCCESS_RATE: "1" })(event, {});
            expect(result.batchItemFailures).to.have.deep.members(["m-0", "m-1", "m-2", "m-3"].map(itemIdentifier => ({ itemIdentifier })));
        });

        it("reports only the records whose update failed for another reason", async () => {
            documents.on(UpdateCommand).rejectsOnce(Object.assign(new Error("boom"), { name: "InternalServerError" })).resolves({});
            const result = await handlerOf("fulfill-order", { SUCCESS_RATE: "1" })(sqsEvent([message, message]), {});
            expect(result).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "m-0" }] });
        });
    });

    describe("order-dlq-processor", () => {
        const message = { orderId: ORDER_ID, customerId: "CUST-0001", productId: "PROD-0001", quantity: 1, price: 5, totalAmount: 5 };
        const lastError = "Fulfilment attempt 3 failed: warehouse could not ship the order";
        const processing = { order_id: ORDER_ID, status: "PROCESSING", lastError, fulfilmentAttempts: 3 };
        const dlq = (...args: Parameters<typeof sqsEvent>) => handlerOf("order-dlq-processor")(sqsEvent(...args), {});

        it("moves a PROCESSING order to FAILED (conditional), then records it once in failed_orders with attempts and last error", async () => {
            const failed = { ...processing, status: "FAILED", dlqMessageId: "m-0", updatedAt: "2026-01-01T00:00:00.000Z" };
            documents.on(GetCommand).resolves({ Item: processing });
            documents.on(UpdateCommand).resolves({ Attributes: failed });
            expect(await dlq([message], 4)).to.deep.equal({ batchItemFailures: [] });
            const update = documents.commandCalls(UpdateCommand)[0].args[0].input;
            expect(update).to.deep.include({ TableName: ORDERS, ConditionExpression: "#status = :from", ReturnValues: "ALL_NEW" });
            expect(update.ExpressionAttributeValues).to.deep.include({ ":from": "PROCESSING", ":to": "FAILED", ":lastError": lastError, ":dlqMessageId": "m-0" });
            const put = documents.commandCalls(PutCommand)[0].args[0].input;
            expect(put).to.deep.include({ TableName: FAILED, ConditionExpression: "attribute_not_exists(order_id)" });
            expect(put.Item).to.deep.include({ order_id: ORDER_ID, order: failed, attempts: 3, dlqReceiveCount: 4, lastError, failedAt: failed.updatedAt, dlqMessageId: "m-0" });
        });

        for (const status of ["FULFILLED", "REJECTED", "PENDING"]) {
            it(`changes nothing and records nothing for an order that is ${status} (a stale DLQ copy)`, async () => {
                documents.on(GetCommand).resolves({ Item: { ...processing, status } });
                expect(await dlq([message])).to.deep.equal({ batchItemFailures: [] });
                expect(documents.commandCalls(UpdateCommand)).to.have.length(0);
                expect(documents.commandCalls(PutCommand)).to.have.length(0);
            });
        }

        it("changes nothing for an order another DLQ message already failed (a duplicate copy)", async () => {
            documents.on(GetCommand).resolves({ Item: { ...processing, status: "FAILED", dlqMessageId: "another-message" } });
            expect(await dlq([message])).to.deep.equal({ batchItemFailures: [] });
            expect(documents.commandCalls(UpdateCommand)).to.have.length(0);
            expect(documents.commandCalls(PutCommand)).to.have.length(0);
        });

        it("finishes its own earlier attempt: the order it already failed gets its row, once", async () => {
            documents.on(GetCommand).resolves({ Item: { ...processing, status: "FAILED", dlqMessageId: "m-0" } });
            documents.on(PutCommand).rejects(conditionFailed());
            expect(await dlq([message], 2)).to.deep.equal({ batchItemFailures: [] });
            expect(documents.commandCalls(UpdateCommand)).to.have.length(0);
            expect(documents.commandCalls(PutCommand)[0].args[0].input.Item).to.deep.include({ order_id: ORDER_ID, dlqMessageId: "m-0" });
        });

        it("loses the race to a late fulfilment without recording anything", async () => {
            documents.on(GetCommand).resolvesOnce({ Item: processing }).resolves({ Item: { ...processing, status: "FULFILLED" } });
            documents.on(UpdateCommand).rejects(conditionFailed());
            expect(await dlq([message])).to.deep.equal({ batchItemFailures: [] });
            expect(documents.commandCalls(PutCommand)).to.have.length(0);
        });

        const poison: [string, string][] = [
            ["a body that is not JSON", "{not json"],
            ["JSON without an orderId", JSON.stringify({ customerId: "CUST-0001" })],
            ["an orderId that is not a UUID", JSON.stringify({ orderId: "../../etc" })],
            ["JSON null", "null"],
        ];
        for (const [what, body] of poison) {
            it(`records ${what} as an unprocessable failed_orders row and deletes it (no retry loop)`, async () => {
                const event = sqsEvent([{}]);
                event.Records[0].body = body;
                expect(await handlerOf("order-dlq-processor")(event, {})).to.deep.equal({ batchItemFailures: [] });
                const put = documents.commandCalls(PutCommand)[0].args[0].input;
                expect(put.Item).to.deep.include({ order_id: "unprocessable:m-0", reason: "unprocessable", body, dlqMessageId: "m-0" });
                expect(put.Item!.problems).to.be.an("array").with.length.above(0);
                expect(documents.commandCalls(UpdateCommand)).to.have.length(0);
            });
        }

        it("records a message for an order that does not exist as unprocessable", async () => {
            documents.on(GetCommand).resolves({});
            expect(await dlq([message])).to.deep.equal({ batchItemFailures: [] });
            expect(documents.commandCalls(PutCommand)[0].args[0].input.Item).to.deep.include({ order_id: "unprocessable:m-0", problems: [`orderId: no order ${ORDER_ID} exists`] });
        });

        it("fails only the record whose storage call failed, so the DLQ's own redrive bounds its attempts", async () => {
            documents.on(GetCommand).rejectsOnce(Object.assign(new Error("slow down"), { name: "ProvisionedThroughputExceededException" })).resolves({ Item: { ...processing, status: "FULFILLED" } });
            expect(await dlq([message, message])).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "m-0" }] });
        });
    });

    describe("get-order", () => {
        const get = (orderId: string) => handlerOf("get-order")({ pathParameters: { orderId } });

        it("returns the order with its status history", async () => {
            const history = [{ status: "PENDING", at: "t1" }, { status: "PROCESSING", at: "t2" }];
            documents.on(GetCommand).resolves({ Item: { order_id: ORDER_ID, status: "PROCESSING", statusHistory: history } });
            const response = await get(ORDER_ID);
            expect(response.statusCode).to.equal(200);
            expect(JSON.parse(response.body)).to.deep.equal({ orderId: ORDER_ID, status: "PROCESSING", statusHistory: history });
            expect(documents.commandCalls(GetCommand)[0].args[0].input).to.deep.include({ TableName: ORDERS, Key: { order_id: ORDER_ID } });
        });

        it("answers 404 with a JSON message for an unknown order", async () => {
            documents.on(GetCommand).resolves({});
            const response = await get(ORDER_ID);
            expect(response.statusCode).to.equal(404);
            expect(JSON.parse(response.body).message).to.include(ORDER_ID);
        });

        it("answers 400 for a malformed id without reading the table", async () => {
            const response = await get("not-an-id");
            expect(response.statusCode).to.equal(400);
            expect(JSON.parse(response.body).problems[0]).to.match(/^orderId/);
            expect(documents.calls()).to.have.length(0);
        });
    });
});
