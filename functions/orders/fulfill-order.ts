import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { fulfilmentSucceeds, isConditionFailure, randomSource, shipment, statusTransition, successRateFrom } from "./order-rules";

/**
 * Order queue consumer: simulates fulfilment, succeeding with probability SUCCESS_RATE (FULFILLMENT_SEED
 * makes it repeatable). Success: PROCESSING → FULFILLED with shipping details. Failure: the last error is
 * noted on the order and the record is reported failed so SQS redelivers it (DLQ after the last receive).
 * Env: ORDERS_TABLE, SUCCESS_RATE, FULFILLMENT_SEED.
 */
export function fulfillOrderHandler(): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const processor = new BatchProcessor(EventType.SQS);
    const tableName = process.env.ORDERS_TABLE;
    const successRate = successRateFrom(process.env.SUCCESS_RATE);
    const random = randomSource(process.env.FULFILLMENT_SEED);

    const fulfil = async (record: SQSRecord): Promise<void> => {
        const { orderId } = JSON.parse(record.body) as { orderId: string };
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
                    return; // Already fulfilled or failed: a late duplicate has nothing left to do.
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
        }
    };

    // A batch where every attempt fails is still a normal outcome: report the records instead of raising a Lambda error.
    return (event, context) => processPartialResponse(event, fulfil, processor, { context, throwOnFullBatchFailure: false });
}
