import { CopyObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { Handler } from "aws-lambda";

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

// S3 wants CopySource URL-encoded and ASL/JSONPath has no URL-encode intrinsic, so the copy runs here.
export function copySourceOf(bucket: string, key: string): string {
    return `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
}

/** Copies one object; any S3 error propagates so the state machine's Retry and Catch see it. */
export function copyObjectHandler(): Handler<CopyObjectEvent, CopyObjectResult> {
    const s3 = new S3Client({});
    return async event => {
        const output = await s3.send(new CopyObjectCommand({
            Bucket: event.destinationBucket,
            Key: event.sourceKey,
            CopySource: copySourceOf(event.sourceBucket, event.sourceKey),
        }));
        return { bucket: event.destinationBucket, status: "SUCCEEDED", etag: output.CopyObjectResult?.ETag };
    };
}
