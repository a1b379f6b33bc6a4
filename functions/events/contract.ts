import { corsSettings } from "../shared/http";
import { jsonObject, message, text } from "../shared/message-schema";
import { integerSetting, required } from "../shared/settings";
import { MAX_SUBJECT_LENGTH, MAX_TYPE_LENGTH, PAYLOAD_RULES } from "./event-format";

/**
 * The events system's contract: the environment of each of its functions and the messages they exchange. The only
 * place that names these environment variables; components build environments with `environment`, handlers read
 * them with `loadSettings` (both functions/shared/settings.ts). Everything is built by functions: handler
 * factories are serialized and must build their own structs.
 */

/** `POST /events`: one definition for API Gateway's model and the handler. */
export function eventRequestMessage() {
    return message("PublishEvent", {
        type: text({ max: MAX_TYPE_LENGTH, singleLine: true }),
        subject: text({ max: MAX_SUBJECT_LENGTH, singleLine: true }),
        payload: jsonObject(PAYLOAD_RULES),
    }, ["type"]);
}

/** What the confirmation queue carries. */
export interface ConfirmationMessage {
    eventId: string;
    receivedAt: string;
}

/** Settings of `POST /events`. */
export function eventApiSettings() {
    return { eventTopicArn: required("EVENT_TOPIC_ARN"), ...corsSettings() };
}

/** Settings of confirmation-sender. */
export function eventTableSettings() {
    return { eventsTable: required("EVENTS_TABLE") };
}

/** Settings of `GET /events/{eventId}`. */
export function eventReaderSettings() {
    return { ...eventTableSettings(), ...corsSettings() };
}

/** Settings of event-processor. */
export function eventProcessorSettings() {
    return {
        ...eventTableSettings(),
        confirmationQueueUrl: required("CONFIRMATION_QUEUE_URL"),
        /** Days a stored event lives before DynamoDB's TTL removes it. */
        eventTtlDays: integerSetting("EVENT_TTL_DAYS", 1),
    };
}
