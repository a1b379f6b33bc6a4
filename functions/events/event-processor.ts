import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { loadSettings } from "../shared/settings";
import { loggingFailures } from "../shared/sqs-records";
import { ConfirmationMessage, eventProcessorSettings } from "./contract";
import { expiresAt, normaliseMessage, NormalisedEvent } from "./event-format";

/** Status of a stored event before `confirmation-sender` has marked it. */
export const RECEIVED = "RECEIVED";

/**
 * `event-processor`: normalises each queue message (S3 notification, EventBridge event or API event), writes
 * each event once (conditional put, TTL), then queues its confirmation. A duplicate is logged and dropped; a
 * message that cannot be normalised or stored fails only its own record, logged with its id and reason, so it
 * reaches the DLQ after maxReceiveCount.
 */
export function eventProcessorHandler(): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
    const { eventsTable: tableName, confirmationQueueUrl, eventTtlDays: ttlDays } = loadSettings(eventProcessorSettings());
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const sqs = new SQSClient({});
    const processor = new BatchProcessor(EventType.SQS);

    const store = async (event: NormalisedEvent): Promise<boolean> => {
        try {
            await documents.send(new PutCommand({
                TableName: tableName,
                Item: { ...event, status: RECEIVED, expiresAt: expiresAt(new Date(event.receivedAt), ttlDays) },
                ConditionExpression: "attribute_not_exists(eventId)",
            }));
            return true;
        } catch (error) {
            if (error instanceof ConditionalCheckFailedException || (error as Error).name === "ConditionalCheckFailedException") {
                return false;
            }
            throw error;
        }
    };

    const confirm = async (event: NormalisedEvent): Promise<void> => {
        const message: ConfirmationMessage = { eventId: event.eventId, receivedAt: event.receivedAt };
        try {
            await sqs.send(new SendMessageCommand({ QueueUrl: confirmationQueueUrl, MessageBody: JSON.stringify(message) }));
        } catch (error) {
            // Remove the record so the redelivery is not taken for a duplicate and still gets its confirmation.
            await documents.send(new DeleteCommand({
                TableName: tableName,
                Key: { eventId: event.eventId },
                ConditionExpression: "#status = :received",
                ExpressionAttributeNames: { "#status": "status" },
                ExpressionAttributeValues: { ":received": RECEIVED },
            }));
            throw error;
        }
    };

    const handleRecord = async (record: SQSRecord): Promise<void> => {
        const receivedAt = new Date(Number(record.attributes?.SentTimestamp) || Date.now()).toISOString();
        const normalised = normaliseMessage(record.body, receivedAt);
        if (!normalised.ok) {
            throw new Error(`unprocessable message: ${normalised.reason}`);
        }
        if (normalised.ignored) {
            console.log(JSON.stringify({ message: "ignored", messageId: record.messageId, reason: normalised.ignored }));
        }
        for (const event of normalised.events) {
            if (await store(event)) {
                await confirm(event);
                console.log(JSON.stringify({ message: "stored", eventId: event.eventId, source: event.source, type: event.type }));
            } else {
                console.log(JSON.stringify({ message: "duplicate dropped", metric: "DuplicateEvents", count: 1, eventId: event.eventId, source: event.source }));
            }
        }
    };

    return async (event, context) =>
        processPartialResponse(event, loggingFailures("event-processor", handleRecord), processor, { context, throwOnFullBatchFailure: false });
}
