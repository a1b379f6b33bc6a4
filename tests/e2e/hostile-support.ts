import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { ListExecutionsCommand, SFNClient } from "@aws-sdk/client-sfn";
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { spawn } from "child_process";
import * as path from "path";
import { eventually } from "./sandbox-support";

const PROJECT_DIR = path.resolve(__dirname, "../..");

export interface HostileSandbox {
    endpoint: string;
    outputs: Record<string, any>;
    close(): Promise<void>;
}

/**
 * The local stack in the sandbox, in a child process (synthesis loads index.ts once per process and would replace
 * this process's Pulumi mocks), serving until closed. See hostile-sandbox.ts for what it leaves out.
 */
export function startHostileSandbox(timeScale: number): Promise<HostileSandbox> {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "hostile-sandbox.ts"), String(timeScale)],
        { cwd: PROJECT_DIR, env: { ...process.env, AWS_ENDPOINT_URL: "" }, stdio: ["pipe", "pipe", "inherit"] });
    return new Promise((resolve, reject) => {
        let output = "";
        child.on("exit", code => reject(new Error(`the sandbox exited with ${code} before it was ready:\n${output.slice(-2000)}`)));
        child.stdout.on("data", (chunk: Buffer) => {
            output += chunk.toString("utf8");
            const ready = output.split("\n").find(line => line.startsWith("{\"endpoint\""));
            if (ready) {
                child.removeAllListeners("exit");
                const { endpoint, outputs } = JSON.parse(ready);
                resolve({
                    endpoint, outputs,
                    close: () => new Promise(done => {
                        child.once("exit", () => done());
                        child.stdin.end();
                    }),
                });
            }
        });
    });
}

/** SDK clients pointed at the sandbox, as a user's would be after `npm start`. */
export function clientsFor(endpoint: string) {
    const config = { endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } };
    const dynamo = new DynamoDBClient(config);
    const s3 = new S3Client({ ...config, forcePathStyle: true });
    return {
        documents: DynamoDBDocumentClient.from(dynamo), sqs: new SQSClient(config), s3, sfn: new SFNClient(config),
        destroy: () => [dynamo, s3].forEach(client => client.destroy()),
    };
}
export type Clients = ReturnType<typeof clientsFor>;

export interface HttpAnswer { status: number; body: any; text: string }

/** One request as a client sends it; `contentType: undefined` sends no Content-Type (fetch would add text/plain for a string body). */
export async function send(url: string, method: string, contentType: string | undefined, body?: string): Promise<HttpAnswer> {
    const payload = body === undefined ? undefined : Buffer.from(body, "utf8");
    const response = await fetch(url, { method, headers: contentType === undefined ? {} : { "Content-Type": contentType }, body: payload });
    const text = await response.text();
    let parsed: any;
    try {
        parsed = JSON.parse(text);
    } catch {
        parsed = undefined;
    }
    return { status: response.status, body: parsed, text };
}

export async function scanAll(clients: Clients, table: string): Promise<Record<string, any>[]> {
    const items: Record<string, any>[] = [];
    let start: Record<string, any> | undefined;
    do {
        const page = await clients.documents.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }));
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
    } while (start);
    return items;
}

export async function objectKeys(clients: Clients, bucket: string, prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
        const page = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map(object => object.Key!));
        token = page.NextContinuationToken;
    } while (token);
    return keys;
}

export async function executionArns(clients: Clients, stateMachineArn: string): Promise<string[]> {
    const arns: string[] = [];
    let token: string | undefined;
    do {
        const page = await clients.sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken: token, maxResults: 1000 }));
        arns.push(...(page.executions ?? []).map(execution => execution.executionArn!));
        token = page.nextToken;
    } while (token);
    return arns;
}

/** Messages a queue holds, visible or in flight. */
export async function queueDepth(clients: Clients, queueUrl: string): Promise<number> {
    const { Attributes = {} } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["All"] }));
    return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
}

/** Waits until every queue is empty: nothing of a test's traffic is still on its way. */
export async function drained(clients: Clients, queueUrls: string[], deadlineMs = 90_000): Promise<void> {
    await eventually(`queues ${queueUrls.join(", ")} to drain`, async () => {
        const depths = await Promise.all(queueUrls.map(url => queueDepth(clients, url)));
        return depths.every(depth => depth === 0) ? true : undefined;
    }, deadlineMs);
}

export async function sendRaw(clients: Clients, queueUrl: string, body: string): Promise<string> {
    return (await clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }))).MessageId!;
}

/** Per-route figures for the note: requests tried, answers by status, 5xx, refusals that stored something. */
export class RouteFigures {
    private readonly rows = new Map<string, { tried: number; statuses: Map<number, number>; storedOnRefusal: number }>();

    count(route: string, status: number): void {
        const row = this.rows.get(route) ?? { tried: 0, statuses: new Map(), storedOnRefusal: 0 };
        row.tried++;
        row.statuses.set(status, (row.statuses.get(status) ?? 0) + 1);
        this.rows.set(route, row);
    }

    storedOnRefusal(route: string, count: number): void {
        const row = this.rows.get(route);
        if (row) {
            row.storedOnRefusal += count;
        }
    }

    fiveXX(route: string): number {
        return [...(this.rows.get(route)?.statuses ?? new Map<number, number>())].filter(([status]) => status >= 500).reduce((sum, [, n]) => sum + n, 0);
    }

    table(): string {
        const lines = ["route | requests | answers | 5xx | stored on a refusal", "--- | --- | --- | --- | ---"];
        for (const [route, row] of this.rows) {
            const answers = [...row.statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`).join(" ");
            lines.push(`${route} | ${row.tried} | ${answers} | ${this.fiveXX(route)} | ${row.storedOnRefusal}`);
        }
        return lines.join("\n");
    }
}
