import { CopyObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { Handler } from "aws-lambda";
import { fitText, oneLine } from "./short-text";

/** One Map item of the file-copy workflow: copy `sourceBucket/sourceKey` to `destinationBucket` under the same key. */
export interface CopyObjectEvent {
    sourceBucket: string;
    sourceKey: string;
    destinationBucket: string;
}

export interface CopyObjectResult {
    bucket: string;
    status: "SUCCEEDED";
    etag?: string;
}

/** Longest error message the copy hands to Step Functions (the tracking record and the failure notification). */
const MAX_ERROR_MESSAGE_CHARS = 200;

// S3 wants CopySource URL-encoded and ASL/JSONPath has no URL-encode intrinsic, so the copy runs here.
export function copySourceOf(bucket: string, key: string): string {
    return `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
}

/**
 * The error as Step Functions should see it: the same name (S3's error code, e.g. AccessDenied), a one-line message
 * of at most MAX_ERROR_MESSAGE_CHARS and no stack frames. Lambda's error document carries name, message and the
 * stack lines (aws-lambda-nodejs-runtime-interface-client src/Errors.js), and Step Functions keeps it as the Cause.
 */
function conciseError(error: unknown): Error {
    const name = error instanceof Error && error.name ? error.name : "Error";
    const message = fitText(oneLine(error instanceof Error ? error.message : String(error)), MAX_ERROR_MESSAGE_CHARS);
    return Object.assign(new Error(message), { name, stack: `${name}: ${message}` });
}

/**
 * Copies one object. A failure is logged whole (stack included) and rethrown as its conciseError, so the state
 * machine's Retry and Catch see S3's error name and the Cause stays short.
 */
export function copyObjectHandler(): Handler<CopyObjectEvent, CopyObjectResult> {
    const s3 = new S3Client({});
    return async event => {
        try {
            const output = await s3.send(new CopyObjectCommand({
                Bucket: event.destinationBucket,
                Key: event.sourceKey,
                CopySource: copySourceOf(event.sourceBucket, event.sourceKey),
            }));
            return { bucket: event.destinationBucket, status: "SUCCEEDED", etag: output.CopyObjectResult?.ETag };
        } catch (error) {
            console.error(`Copying s3://${event.sourceBucket}/${event.sourceKey} to bucket ${event.destinationBucket} failed:`, error);
            throw conciseError(error);
        }
    };
}
