import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ChangeMessageVisibilityCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { loggingFailures } from "../shared/sqs-records";
import { check } from "../shared/validation";
import { loadSettings } from "../shared/settings";
import { fulfilOrderSettings, orderQueueMessage } from "./contract";
import { fulfilmentSucceeds, isConditionFailure, randomSource, retryDelaySeconds, shipment, statusTransition } from "./order-rules";

/**
 * Order queue consumer: simulates fulfilment, succeeding with the contract's `successRate` (`fulfillmentSeed`
 * makes it repeatable). Success: PROCESSING → FULFILLED with shipping details. Failure: the last error is
 * noted on the order and the record is reported failed so SQS redelivers it (DLQ after the last receive). A body
 * that is not an order message, or names no order, fails the same way, so it reaches the DLQ; every failure is
 * logged with its reason. Each failed message's visibility is first set to the retry delay (exponential per receive),
 * so the next attempt comes after seconds rather than after the queue's visibility timeout, its safety net.
 */
export function fulfillOrderHandler(): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const queue = new SQSClient({});
    const processor = new BatchProcessor(EventType.SQS);
    const {
        ordersTable: tableName, orderQueueUrl, maxReceiveCount, retryBaseDelaySeconds, retryMaxDelaySeconds, successRate, fulfillmentSeed,
    } = loadSettings(fulfilOrderSettings());
    const backoff = { baseDelaySeconds: retryBaseDelaySeconds, maxDelaySeconds: retryMaxDelaySeconds, maxReceiveCount };
    const random = randomSource(fulfillmentSeed);
    const messageShape = orderQueueMessage();

    /** After a failed condition: a late duplicate of an order that left PROCESSING is done; a message naming no order is poison. */
    const notProcessing = async (record: SQSRecord, orderId: string): Promise<void> => {
        const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: { order_id: orderId }, ConsistentRead: true }));
        if (!Item) {
            throw new Error(`no order ${orderId} exists`);
        }
        console.log(JSON.stringify({ event: "order-not-processing", messageId: record.messageId, orderId, status: Item.status }));
    };

    const fulfil = async (record: SQSRecord): Promise<void> => {
        let body: unknown;
        try {
            body = JSON.parse(record.body);
        } catch (error) {
            throw new Error(`body is not JSON: ${(error as Error).message}`);
        }
        const checked = check(body, messageShape);
        if (!checked.ok) {
            throw new Error(`not an order message: ${checked.problems.join("; ")}`);
        }
        const { orderId } = checked.value;
        const now = new Date();
        const attempt = Number(record.attributes.ApproximateReceiveCount);
        if (!fulfilmentSucceeds(random, successRate)) {
            const lastError = `Fulfilment attempt ${attempt} failed: warehouse could not ship the order`;
            try {
                await documents.send(new UpdateCommand({
                    TableName: tableName,
                    Key: { order_id: orderId },
                    UpdateExpression: "SET lastError = :error, fulfilmentAttempts = :attempt, updatedAt = :at",
                    ConditionExpression: "#status = :processing",
                    ExpressionAttributeNames: { "#status": "status" },
                    ExpressionAttributeValues: { ":error": lastError, ":attempt": attempt, ":at": now.toISOString(), ":processing": "PROCESSING" },
                }));
            } catch (error) {
                if (isConditionFailure(error)) {
                    return notProcessing(record, orderId);
                }
                throw error;
            }
            throw new Error(lastError);
        }
        try {
            await documents.send(new UpdateCommand({
                TableName: tableName,
                ...statusTransition(orderId, "PROCESSING", "FULFILLED", now.toISOString(), { ...shipment(random, now), fulfilmentAttempts: attempt }),
            }));
        } catch (error) {
            if (!isConditionFailure(error)) {
                throw error;
            }
            await notProcessing(record, orderId);
        }
    };

    /** Shortens a failed message's wait; if SQS refuses, the message keeps the queue's visibility timeout and is retried later, not lost. */
    const backOff = async (record: SQSRecord): Promise<void> => {
        const receiveCount = Number(record.attributes.ApproximateReceiveCount);
        const delaySeconds = retryDelaySeconds(receiveCount, backoff);
        try {
            await queue.send(new ChangeMessageVisibilityCommand({ QueueUrl: orderQueueUrl, ReceiptHandle: record.receiptHandle, VisibilityTimeout: delaySeconds }));
        } catch (error) {
            const { name, message } = error instanceof Error ? error : { name: "Error", message: String(error) };
            console.error(JSON.stringify({ event: "retry-delay-not-set", messageId: record.messageId, receiveCount, delaySeconds, reason: `${name}: ${message}` }));
        }
    };

    return async (event, context) => {
        // A batch where every attempt fails is still a normal outcome: report the records instead of raising a Lambda error.
        const response = await processPartialResponse(event, loggingFailures("fulfill-order", fulfil), processor, { context, throwOnFullBatchFailure: false });
        const failed = new Set(response.batchItemFailures.map(failure => failure.itemIdentifier));
        await Promise.all(event.Records.filter(record => failed.has(record.messageId)).map(backOff));
        return response;
    };
}
