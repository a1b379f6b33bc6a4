import { message, text } from "../shared/message-schema";
import { integerSetting, parsed, required, startsWorkflowSettings, stringListSetting, stringMapSetting } from "../shared/settings";

/**
 * The replication system's contract: the environment of each of its functions and the messages they exchange.
 * The only place that names these environment variables; components build environments with `environment`,
 * handlers read them with `loadSettings` (both functions/shared/settings.ts). Everything is built by functions:
 * handler factories are serialized and must build their own structs.
 */

/** A commit id: ASCII letters, digits, `.`, `_`, `-` (so no surrogate, control character or path separator can pass). */
export const COMMIT_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * `POST /builds`: API Gateway's model (the route has no handler of its own) and build-worker's check of each
 * message, which also guards messages that bypass the API. A function: handler factories build their own structs.
 */
export function buildRequestMessage() {
    return message("BuildRequest", { commit: text({ max: 64, pattern: COMMIT_PATTERN }) }, ["commit"]);
}

/** Settings of build-worker: the bucket it uploads artifacts to. */
export function buildWorkerSettings() {
    return { buildsBucket: required("BUILDS_BUCKET") };
}

/** Settings of replication-worker: the file-copy workflow it starts and the regional buckets each build is copied to (a JSON array). */
export function replicationWorkerSettings() {
    return { ...startsWorkflowSettings(), destinationBuckets: stringListSetting("DESTINATION_BUCKETS") };
}

/** A whole number that has a fallback when the environment leaves it out (tuning the handler owns). */
function tuning(key: string, fallback: number) {
    return parsed(key, raw => {
        const value = raw === undefined || raw === "" ? fallback : Number(raw);
        if (!Number.isInteger(value) || value < 0) {
            throw new Error(`must be a whole number >= 0, got ${JSON.stringify(raw)}`);
        }
        return value;
    });
}

/** Settings of regional-sync. */
export function regionalSyncSettings() {
    return {
        hostDeploymentTable: required("HOST_DEPLOYMENT_TABLE"),
        /** Which region each regional bucket stands for (a JSON object). */
        regionByBucket: stringMapSetting("REGION_BY_BUCKET"),
        hostsPerRegion: integerSetting("HOSTS_PER_REGION", 1),
        syncConcurrency: integerSetting("SYNC_CONCURRENCY", 1),
        /** BatchWriteItem attempts per batch before the sync fails. */
        maxWriteAttempts: tuning("MAX_WRITE_ATTEMPTS", 8),
        /** First backoff after UnprocessedItems; it doubles per attempt. */
        backoffBaseMs: tuning("BACKOFF_BASE_MS", 50),
    };
}
