import { Field, message, text, uniqueList } from "../shared/message-schema";
import { required, startsWorkflowSettings, stringListSetting } from "../shared/settings";

/**
 * The file-copy system's contract: the environment of each of its functions and the messages they exchange. The
 * only place that names these environment variables; components build environments with `environment`, handlers
 * read them with `loadSettings` (both functions/shared/settings.ts). Everything is built by functions: handler
 * factories are serialized and must build their own structs.
 */

/** Most destinations one request may name. */
export const MAX_DESTINATIONS = 10;
/** S3 bucket naming rules (docs: bucketnamingrules): 3-63 of lowercase letters, digits, `.`, `-`, starting and ending alphanumeric. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * `POST /step-function`: API Gateway's model and the invoker's check; the invoker also checks the buckets against
 * its allow-lists. S3 keys are at most 1,024 UTF-8 bytes; control characters are refused as S3 advises against them.
 * A function: handler factories build their own structs.
 */
export function fileCopyRequestMessage() {
    const bucket = text({ min: 3, max: 63, pattern: BUCKET_NAME });
    return message("FileCopyRequest", {
        sourceBucket: bucket,
        sourceKey: text({ max: 1024, singleLine: true, maxUtf8Bytes: 1024 }),
        destinationBuckets: uniqueList(bucket, { min: 1, max: MAX_DESTINATIONS }),
    }, ["sourceBucket", "sourceKey", "destinationBuckets"]);
}

/** The file-copy workflow's execution input, as `POST /step-function` and replication-worker start it: the schema's type. */
export type FileCopyRequest = ReturnType<typeof fileCopyRequestMessage> extends Field<infer T> ? T : never;

/** Settings of `POST /step-function`: the buckets a request may name (JSON arrays). */
export function fileCopyInvokerSettings() {
    return {
        ...startsWorkflowSettings(),
        allowedSourceBuckets: stringListSetting("ALLOWED_SOURCE_BUCKETS"),
        allowedDestinationBuckets: stringListSetting("ALLOWED_DESTINATION_BUCKETS"),
    };
}

/** Settings of format-failure-notification: names it puts in the message to point the reader at them. */
export function failureNotificationSettings() {
    return { trackingTable: required("TRACKING_TABLE_NAME"), copyLogGroup: required("COPY_LOG_GROUP_NAME") };
}
