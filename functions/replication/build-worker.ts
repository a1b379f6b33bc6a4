import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { createHash } from "crypto";
import { message, text } from "../shared/message-schema";
import { loggingFailures } from "../shared/sqs-records";
import { check } from "../shared/validation";

/** A commit id: ASCII letters, digits, `.`, `_`, `-` (so no surrogate, control character or path separator can pass). */
export const COMMIT_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * `POST /builds`: API Gateway's model (the route has no handler of its own) and build-worker's check of each
 * message, which also guards messages that bypass the API. A function: handler factories build their own structs.
 */
export function buildRequestMessage() {
    return message("BuildRequest", { commit: text({ max: 64, pattern: COMMIT_PATTERN }) }, ["commit"]);
}

/** The same SQS message always maps to the same build id, so a redelivery cannot make a second artifact. */
export function buildIdOf(commit: string, messageId: string): string {
    return `${commit}-${createHash("sha256").update(messageId).digest("hex").slice(0, 12)}`;
}

export function artifactKeyOf(buildId: string): string {
    return `build-${buildId}.zip`;
}

function isPreconditionFailed(error: unknown): boolean {
    const failure = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    return failure?.name === "PreconditionFailed" || failure?.$metadata?.httpStatusCode === 412;
}

/**
 * `build-worker`: consumes build requests `{"commit": "..."}`, simulates a build and uploads
 * `build-<id>.zip` to BUILDS_BUCKET exactly once per message (`IfNoneMatch: "*"`). A bad body fails
 * only its own record (partial batch response), logged with its id and reason; the DLQ after maxReceiveCount.
 */
export function buildWorkerHandler(): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
    const bucket = process.env.BUILDS_BUCKET ?? "";
    const s3 = new S3Client({});
    const processor = new BatchProcessor(EventType.SQS);
    const requestSchema = buildRequestMessage().struct;

    const buildOne = async (record: SQSRecord): Promise<void> => {
        let body: unknown;
        try {
            body = JSON.parse(record.body);
        } catch (error) {
            throw new Error(`body is not JSON (${(error as Error).message})`);
        }
        const checked = check(body, requestSchema);
        if (!checked.ok) {
            throw new Error(`invalid build request: ${checked.problems.join("; ")}`);
        }
        const { commit } = checked.value;
        const buildId = buildIdOf(commit, record.messageId);
        const key = artifactKeyOf(buildId);
        // The simulated build's output: a manifest standing in for the compiled artifact.
        const artifact = JSON.stringify({ buildId, commit, messageId: record.messageId, builtAt: new Date().toISOString() });
        try {
            await s3.send(new PutObjectCommand({
                Bucket: bucket,
                Key: key,
                Body: artifact,
                ContentType: "application/zip",
                Metadata: { commit, "build-id": buildId },
                IfNoneMatch: "*",
            }));
            console.log(JSON.stringify({ event: "build-uploaded", buildId, bucket, key }));
        } catch (error) {
            if (!isPreconditionFailed(error)) {
                throw error;
            }
            console.log(JSON.stringify({ event: "build-already-uploaded", buildId, bucket, key }));
        }
    };

    return async (event, context) =>
        processPartialResponse(event, loggingFailures("build-worker", buildOne), processor, { context, throwOnFullBatchFailure: false });
}
