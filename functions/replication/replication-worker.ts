import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { S3Event, S3EventRecord } from "aws-lambda";
import { createHash } from "crypto";
import type { FileCopyRequest } from "../file-copy/contract";
import { decodeS3Key } from "../shared/s3-keys";
import { loadSettings } from "../shared/settings";
import { replicationWorkerSettings } from "./contract";

const MAX_EXECUTION_NAME = 80;
const NAME_HASH_LENGTH = 40;

/**
 * A Step Functions execution name (≤ 80 chars of `[A-Za-z0-9_-]`) fixed by bucket, key and sequencer:
 * a redelivered event gets the same name, and Step Functions refuses to start it twice.
 */
export function executionNameOf(bucket: string, key: string, sequencer: string): string {
    const digest = createHash("sha256").update(`${bucket}\n${key}\n${sequencer}`).digest("hex").slice(0, NAME_HASH_LENGTH);
    const readable = (key.split("/").pop() ?? "").replace(/[^A-Za-z0-9_-]/g, "_").slice(0, MAX_EXECUTION_NAME - NAME_HASH_LENGTH - 1);
    return readable ? `${readable}-${digest}` : digest;
}

function isAlreadyStarted(error: unknown): boolean {
    return (error as { name?: string })?.name === "ExecutionAlreadyExists";
}

/**
 * `replication-worker`: for every object created in the global builds bucket, starts the file copy
 * workflow towards the regional buckets. Starting is idempotent per event.
 */
export function replicationWorkerHandler(): (event: S3Event) => Promise<{ started: string[]; duplicates: string[] }> {
    const { stateMachineArn, destinationBuckets } = loadSettings(replicationWorkerSettings());
    const sfn = new SFNClient({});

    const startOne = async (record: S3EventRecord): Promise<{ name: string; duplicate: boolean }> => {
        const sourceBucket = record.s3.bucket.name;
        const sourceKey = decodeS3Key(record.s3.object.key);
        const name = executionNameOf(sourceBucket, sourceKey, record.s3.object.sequencer);
        try {
            await sfn.send(new StartExecutionCommand({
                stateMachineArn,
                name,
                input: JSON.stringify({ sourceBucket, sourceKey, destinationBuckets } satisfies FileCopyRequest),
            }));
            console.log(JSON.stringify({ event: "replication-started", name, sourceBucket, sourceKey }));
            return { name, duplicate: false };
        } catch (error) {
            if (!isAlreadyStarted(error)) {
                throw error;
            }
            console.log(JSON.stringify({ event: "replication-already-started", name, sourceBucket, sourceKey }));
            return { name, duplicate: true };
        }
    };

    return async event => {
        const outcomes = await Promise.allSettled(event.Records.map(startOne));
        const failures = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
        if (failures.length) {
            // Lambda retries the whole async event; the records already started come back as duplicates.
            throw new Error(`${failures.length} of ${outcomes.length} executions failed to start: ${failures.map(failure => String(failure.reason)).join("; ")}`);
        }
        const done = outcomes.map(outcome => (outcome as PromiseFulfilledResult<{ name: string; duplicate: boolean }>).value);
        return { started: done.filter(item => !item.duplicate).map(item => item.name), duplicates: done.filter(item => item.duplicate).map(item => item.name) };
    };
}
