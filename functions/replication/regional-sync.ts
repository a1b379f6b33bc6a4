import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { S3Event } from "aws-lambda";
import { decodeS3Key } from "../shared/s3-keys";
import { loadSettings } from "../shared/settings";
import { regionalSyncSettings } from "./contract";

/** BatchWriteItem's per-request limit. */
export const BATCH_SIZE = 25;

export interface HostDeploymentRecord {
    build_id: string;
    host_id: string;
    region: string;
    status: "DEPLOYED";
    deployedAt: string;
    bucket: string;
    key: string;
}

/** Host ids are fixed per region and index, so a repeated event rewrites the same items. */
export function hostIdOf(region: string, index: number): string {
    return `${region}-host-${String(index + 1).padStart(5, "0")}`;
}

export function chunk<T>(items: T[], size: number): T[][] {
    const chunks: T[][] = [];
    for (let start = 0; start < items.length; start += size) {
        chunks.push(items.slice(start, start + size));
    }
    return chunks;
}

/** Full-jitter exponential backoff (AWS Architecture Blog): random in [0, base·2^attempt]. */
export function backoffDelayMs(baseMs: number, attempt: number): number {
    return Math.random() * baseMs * 2 ** attempt;
}

/**
 * Runs `work` over `items` with at most `limit` in flight. After a failure no new item starts, and it
 * rejects only once the items in flight have settled, so no write outlives the invocation.
 */
export async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    let failed = false;
    const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
        while (!failed && next < items.length) {
            const item = items[next++];
            await work(item).catch(error => {
                failed = true;
                throw error;
            });
        }
    });
    const outcomes = await Promise.allSettled(lanes);
    const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
    if (failure) {
        throw failure.reason;
    }
}

/**
 * `regional-sync`: simulates the P2P rollout of a build that reached a regional bucket by writing
 * `hostsPerRegion` host records to the host deployment table, 25 per BatchWriteItem with `syncConcurrency`
 * requests in flight; UnprocessedItems are retried with backoff up to `maxWriteAttempts`, then it fails.
 */
export function regionalSyncHandler(): (event: S3Event) => Promise<{ written: number }> {
    const { hostDeploymentTable: tableName, regionByBucket, hostsPerRegion, syncConcurrency: concurrency, maxWriteAttempts: maxAttempts, backoffBaseMs }
        = loadSettings(regionalSyncSettings());
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

    const writeBatch = async (records: HostDeploymentRecord[]): Promise<void> => {
        let pending: NonNullable<BatchWriteCommand["input"]["RequestItems"]>[string] = records.map(record => ({ PutRequest: { Item: record } }));
        for (let attempt = 1; ; attempt++) {
            const result = await documents.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
            pending = result.UnprocessedItems?.[tableName] ?? [];
            if (pending.length === 0) {
                return;
            }
            if (attempt >= maxAttempts) {
                throw new Error(`${pending.length} host records still unprocessed after ${attempt} BatchWriteItem attempts`);
            }
            await new Promise(resolve => setTimeout(resolve, backoffDelayMs(backoffBaseMs, attempt)));
        }
    };

    return async event => {
        let written = 0;
        for (const record of event.Records) {
            const bucket = record.s3.bucket.name;
            const key = decodeS3Key(record.s3.object.key);
            const region = regionByBucket[bucket];
            if (!region) {
                throw new Error(`bucket ${bucket} is not a regional builds bucket`);
            }
            const deployedAt = new Date().toISOString();
            const hosts: HostDeploymentRecord[] = Array.from({ length: hostsPerRegion }, (_, index) => ({
                build_id: key, host_id: hostIdOf(region, index), region, status: "DEPLOYED", deployedAt, bucket, key,
            }));
            await forEachLimited(chunk(hosts, BATCH_SIZE), concurrency, writeBatch);
            written += hosts.length;
            console.log(JSON.stringify({ event: "region-synced", region, buildId: key, hosts: hosts.length }));
        }
        return { written };
    };
}
