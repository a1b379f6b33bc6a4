import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { stringProblem } from "../shared/message-schema";
import { loadSettings } from "../shared/settings";
import { loggingFailures } from "../shared/sqs-records";
import { eventTableSettings } from "./contract";
import { MAX_EVENT_ID_LENGTH } from "./event-format";

export const CONFIRMED = "CONFIRMED";

/**
 * `confirmation-sender`: marks each event CONFIRMED with `confirmedAt`, only if it exists and is not yet
 * confirmed, so a redelivered confirmation changes nothing. A body without an eventId fails only its record
 * (logged with its id and reason; the DLQ after maxReceiveCount).
 */
export function confirmationSenderHandler(): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
    const { eventsTable: tableName } = loadSettings(eventTableSettings());
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const processor = new BatchProcessor(EventType.SQS);

    const handleRecord = async (record: SQSRecord): Promise<void> => {
        let eventId: unknown;
        try {
            eventId = (JSON.parse(record.body) as { eventId?: unknown }).eventId;
        } catch {
            eventId = undefined;
        }
        if (typeof eventId !== "string" || eventId === "") {
            throw new Error("body has no eventId");
        }
        const problem = stringProblem(eventId, MAX_EVENT_ID_LENGTH);
        if (problem) {
            throw new Error(`eventId ${problem}`);
        }
        try {
            await documents.send(new UpdateCommand({
                TableName: tableName,
                Key: { eventId },
                UpdateExpression: "SET #status = :confirmed, confirmedAt = :now",
                ConditionExpression: "attribute_exists(eventId) AND #status <> :confirmed",
                ExpressionAttributeNames: { "#status": "status" },
                ExpressionAttributeValues: { ":confirmed": CONFIRMED, ":now": new Date().toISOString() },
            }));
            console.log(JSON.stringify({ message: "confirmed", eventId }));
        } catch (error) {
            if (error instanceof ConditionalCheckFailedException || (error as Error).name === "ConditionalCheckFailedException") {
                console.log(JSON.stringify({ message: "already confirmed or expired", eventId }));
                return;
            }
            throw error;
        }
    };

    return async (event, context) =>
        processPartialResponse(event, loggingFailures("confirmation-sender", handleRecord), processor, { context, throwOnFullBatchFailure: false });
}
