import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { isConditionFailure, statusTransition } from "./order-rules";

/**
 * Order DLQ consumer: records each order that ran out of fulfilment attempts in failed_orders (order,
 * attempts, last error, time; once per order) and moves it PROCESSING → FAILED.
 * Env: ORDERS_TABLE, FAILED_ORDERS_TABLE.
 */
export function dlqProcessorHandler(): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const processor = new BatchProcessor(EventType.SQS);
    const ordersTable = process.env.ORDERS_TABLE;
    const failedOrdersTable = process.env.FAILED_ORDERS_TABLE;

    const recordFailure = async (record: SQSRecord): Promise<void> => {
        const message = JSON.parse(record.body) as { orderId: string };
        const orderId = message.orderId;
        const failedAt = new Date().toISOString();
        const { Item: order } = await documents.send(new GetCommand({ TableName: ordersTable, Key: { order_id: orderId }, ConsistentRead: true }));
        const lastError = typeof order?.lastError === "string" ? order.lastError : "Fulfilment failed on every attempt";
        try {
            await documents.send(new PutCommand({
                TableName: failedOrdersTable,
                Item: {
                    order_id: orderId,
                    order: order ?? message,
                    attempts: Number(record.attributes.ApproximateReceiveCount),
                    lastError,
                    failedAt,
                    dlqMessageId: record.messageId,
                },
                ConditionExpression: "attribute_not_exists(order_id)",
            }));
        } catch (error) {
            if (!isConditionFailure(error)) {
                throw error;
            }
        }
        try {
            await documents.send(new UpdateCommand({
                TableName: ordersTable,
                ...statusTransition(orderId, "PROCESSING", "FAILED", failedAt, { lastError }, lastError),
            }));
        } catch (error) {
            if (!isConditionFailure(error)) {
                throw error;
            }
        }
    };

    // Failed records are redelivered from the DLQ one by one, same as for partial failures.
    return (event, context) => processPartialResponse(event, recordFailure, processor, { context, throwOnFullBatchFailure: false });
}
