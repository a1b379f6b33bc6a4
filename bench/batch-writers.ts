import * as http from "http";
import type { AddressInfo } from "net";
import { BatchWriteItemCommand, CreateTableCommand, DynamoDBClient, type WriteRequest } from "@aws-sdk/client-dynamodb";
import { BATCH_SIZE, chunk, forEachLimited, hostIdOf, type HostDeploymentRecord } from "../functions/replication/regional-sync";

// dynalite has no type declarations; its factory returns an http.Server.
const dynalite: (options: Record<string, unknown>) => http.Server = require("dynalite");

/** A DynamoDB endpoint the bench writes host records to, raw: 25-item BatchWriteItem calls, as regional-sync sends them. */
export interface BatchTarget {
    name: string;
    client: DynamoDBClient;
    table: string;
}

/** A dynalite of its own in this process, with the host deployment table's key schema: the sandbox endpoint's baseline. */
export async function startRawDynalite(table: string): Promise<BatchTarget & { close(): Promise<void> }> {
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
    const client = new DynamoDBClient({
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    await client.send(new CreateTableCommand({
        TableName: table, BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "build_id", AttributeType: "S" }, { AttributeName: "host_id", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "build_id", KeyType: "HASH" }, { AttributeName: "host_id", KeyType: "RANGE" }],
    }));
    return {
        name: "raw dynalite", client, table,
        close: async () => {
            client.destroy();
            await new Promise<void>(resolve => server.close(() => resolve()));
        },
    };
}

/**
 * Writes `records` host records for a fresh build id with `concurrency` BatchWriteItem calls of 25 in flight,
 * resending UnprocessedItems at once; answers the elapsed milliseconds.
 */
export async function writeHostRecords(target: BatchTarget, buildId: string, records: number, concurrency: number): Promise<number> {
    const deployedAt = new Date().toISOString();
    const requests: WriteRequest[] = Array.from({ length: records }, (_, index) => {
        const record: HostDeploymentRecord = { build_id: buildId, host_id: hostIdOf("bench", index), region: "bench", status: "DEPLOYED", deployedAt, bucket: "bench", key: buildId };
        // Every attribute of a host record is a string.
        return { PutRequest: { Item: Object.fromEntries(Object.entries(record).map(([name, value]) => [name, { S: value }])) } };
    });
    const started = Date.now();
    await forEachLimited(chunk(requests, BATCH_SIZE), concurrency, async batch => {
        for (let pending = batch; pending.length > 0;) {
            const result = await target.client.send(new BatchWriteItemCommand({ RequestItems: { [target.table]: pending } }));
            pending = result.UnprocessedItems?.[target.table] ?? [];
        }
    });
    return Date.now() - started;
}
