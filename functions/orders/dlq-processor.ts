import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { loggingFailures, storableExcerpt } from "../shared/sqs-records";
import { check } from "../shared/validation";
import { loadSettings } from "../shared/settings";
import { orderDlqSettings, orderQueueMessage } from "./contract";
import { isConditionFailure, statusTransition } from "./order-rules";

/** Reason stored for a DLQ message that names no order this consumer can fail. */
export const UNPROCESSABLE = "unprocessable";
/** Characters of an unprocessable body kept in its failed_orders row. */
const BODY_EXCERPT = 2048;

/**
 * Order DLQ consumer. An order still PROCESSING moves to FAILED (conditional) and gets one failed_orders row
 * (order, attempts, last error, time). An order already terminal (FULFILLED, REJECTED, or FAILED by another
 * message) is left as it is and no row is written: a stale copy of a fulfilled order records nothing. A message
 * that is not an order message, or names no order, is recorded as a failed_orders row with reason `unprocessable`
 * (key `unprocessable:<messageId>`) and deleted instead of failing forever. Only storage errors fail a record; the
 * DLQ's own redrive bounds those attempts.
 */
export function dlqProcessorHandler(): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const processor = new BatchProcessor(EventType.SQS);
    const { ordersTable, failedOrdersTable } = loadSettings(orderDlqSettings());
    const messageShape = orderQueueMessage();

    const putOnce = async (item: Record<string, unknown>): Promise<void> => {
        try {
            await documents.send(new PutCommand({ TableName: failedOrdersTable, Item: item, ConditionExpression: "attribute_not_exists(order_id)" }));
        } catch (error) {
            if (!isConditionFailure(error)) {
                throw error;
            }
        }
    };

    const recordUnprocessable = async (record: SQSRecord, problems: string[]): Promise<void> => {
        console.error(JSON.stringify({ event: "order-message-unprocessable", messageId: record.messageId, problems }));
        await putOnce({
            order_id: `${UNPROCESSABLE}:${record.messageId}`, reason: UNPROCESSABLE, problems,
            body: storableExcerpt(record.body, BODY_EXCERPT), dlqMessageId: record.messageId, failedAt: new Date().toISOString(),
        });
    };

    const readOrder = async (orderId: string): Promise<Record<string, any> | undefined> =>
        (await documents.send(new GetCommand({ TableName: ordersTable, Key: { order_id: orderId }, ConsistentRead: true }))).Item;

    /** PROCESSING → FAILED, remembering the DLQ message; the order as failed, or undefined when it is not PROCESSING. */
    const failOrder = async (order: Record<string, any>, record: SQSRecord, failedAt: string): Promise<Record<string, any> | undefined> => {
        const lastError = typeof order.lastError === "string" ? order.lastError : "Fulfilment failed on every attempt";
        try {
            const { Attributes } = await documents.send(new UpdateCommand({
                TableName: ordersTable,
                ...statusTransition(order.order_id, "PROCESSING", "FAILED", failedAt, { lastError, dlqMessageId: record.messageId }, lastError),
                ReturnValues: "ALL_NEW",
            }));
            return Attributes;
        } catch (error) {
            if (!isConditionFailure(error)) {
                throw error;
            }
            return undefined;
        }
    };

    const recordFailure = async (record: SQSRecord): Promise<void> => {
        let body: unknown;
        try {
            body = JSON.parse(record.body);
        } catch (error) {
            return recordUnprocessable(record, [`body is not JSON: ${(error as Error).message}`]);
        }
        const checked = check(body, messageShape);
        if (!checked.ok) {
            return recordUnprocessable(record, checked.problems);
        }
        const { orderId } = checked.value;
        const failedAt = new Date().toISOString();
        const current = await readOrder(orderId);
        if (!current) {
            return recordUnprocessable(record, [`orderId: no order ${orderId} exists`]);
        }
        // A replay of this same message after its transition finishes the row; any other state is someone else's outcome.
        const failed = current.status === "PROCESSING" ? await failOrder(current, record, failedAt) ?? await readOrder(orderId) : current;
        if (failed?.status !== "FAILED" || failed.dlqMessageId !== record.messageId) {
            console.log(JSON.stringify({ event: "order-dlq-message-ignored", messageId: record.messageId, orderId, status: failed?.status ?? null }));
            return;
        }
        await putOnce({
            order_id: orderId,
            order: failed,
            attempts: typeof failed.fulfilmentAttempts === "number" ? failed.fulfilmentAttempts : null,
            dlqReceiveCount: Number(record.attributes.ApproximateReceiveCount),
            lastError: failed.lastError,
            failedAt: failed.updatedAt ?? failedAt,
            dlqMessageId: record.messageId,
        });
    };

    // Failed records are redelivered from the DLQ one by one, same as for partial failures.
    return (event, context) => processPartialResponse(event, loggingFailures("order-dlq-processor", recordFailure), processor, { context, throwOnFullBatchFailure: false });
}
