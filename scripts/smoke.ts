import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DescribeExecutionCommand, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { randomUUID } from "crypto";
import { loadStackOutputs } from "./stack-outputs";
import { checkTargetAnswers, describeError, describeTarget, gotNoAnswer, REQUEST_TIMEOUT_MS, SmokeNotRun, smokeClients, smokeOutputs, stackRegion } from "./smoke-target";

/** Stack outputs as `pulumi stack output --json` prints them. */
export type StackOutputs = Record<string, any>;

export interface SmokeCheck {
    system: string;
    name: string;
    ok: boolean;
    ms: number;
    detail: string;
}

export interface SmokeOptions {
    /** Longest wait for any one asynchronous outcome. Default: 120 s. */
    deadlineMs?: number;
    /** Where to print the report; default console.log. */
    print?: (line: string) => void;
}

class CheckFailed extends Error {}

/** Polls `probe` with backoff until it returns a value, or fails naming what did not happen; a target that stops answering fails it at once. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, deadlineMs: number): Promise<T> {
    const deadline = Date.now() + deadlineMs;
    let delay = 100;
    let lastError: unknown;
    for (;;) {
        try {
            const value = await probe();
            if (value !== undefined) {
                return value;
            }
        } catch (error) {
            if (gotNoAnswer(error)) {
                throw new CheckFailed(`${what}: no answer (${describeError(error)})`);
            }
            lastError = error;
        }
        if (Date.now() + delay > deadline) {
            throw new CheckFailed(`${what} did not happen within ${Math.round(deadlineMs / 1000)} s${lastError ? ` (last error: ${(lastError as Error).message})` : ""}`);
        }
        await new Promise(resolve => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 2000);
    }
}

function expectThat(condition: boolean, message: string): void {
    if (!condition) {
        throw new CheckFailed(message);
    }
}

export async function postJson(url: string, body: unknown, contentType = "application/json"): Promise<{ status: number; body: any }> {
    const response = await fetch(url, {
        method: "POST", headers: { "Content-Type": contentType }, body: typeof body === "string" ? body : JSON.stringify(body), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    let parsed: any = text;
    try {
        parsed = JSON.parse(text);
    } catch {
        // Non-JSON bodies are reported as text.
    }
    return { status: response.status, body: parsed };
}

export async function getJson(url: string): Promise<{ status: number; body: any }> {
    const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/**
 * Drives every system through the seeds' user paths, using the stack outputs, against whatever the standard AWS
 * environment points at (the sandbox, LocalStack or AWS), and prints one line per check. Resolves true when every
 * check passed; throws SmokeNotRun, before any check, when an output is missing or nothing answers.
 */
export async function runSmoke(stackOutputs: Record<string, unknown>, options: SmokeOptions = {}): Promise<boolean> {
    const deadlineMs = options.deadlineMs ?? 120_000;
    const print = options.print ?? (line => console.log(line));
    const outputs = smokeOutputs(stackOutputs);
    const region = stackRegion(outputs);
    const clients = smokeClients(region);
    const { s3, dynamo, sfn } = clients;
    print(`smoke: ${describeTarget(region)} (the region of fileCopyStateMachineArn)`);
    await checkTargetAnswers(outputs, clients, region);
    const run = randomUUID().slice(0, 8);
    const checks: Promise<SmokeCheck>[] = [];
    const check = (system: string, name: string, body: () => Promise<string>) => {
        const started = Date.now();
        checks.push(body().then(
            detail => ({ system, name, ok: true, ms: Date.now() - started, detail }),
            error => ({ system, name, ok: false, ms: Date.now() - started, detail: error instanceof CheckFailed ? error.message : describeError(error) })));
    };

    check("replication", "POST /builds rejects a body without commit", async () => {
        const response = await postJson(`${outputs.buildsApiUrl}/builds`, { commitId: 42 });
        expectThat(response.status === 400, `expected 400, got ${response.status} ${JSON.stringify(response.body)}`);
        return `400 ${JSON.stringify(response.body).slice(0, 80)}`;
    });
    check("replication", "POST /builds → artifact in every regional bucket → host records", async () => {
        const commit = `smoke${run}`;
        const accepted = await postJson(`${outputs.buildsApiUrl}/builds`, { commit });
        expectThat(accepted.status === 202, `POST /builds answered ${accepted.status} ${JSON.stringify(accepted.body)}`);
        const regions: Record<string, string> = outputs.regionalBuckets;
        const key = await waitFor(`build artifact for commit ${commit} in ${outputs.globalBuildsBucket}`,
            () => findBuildKey(s3, outputs.globalBuildsBucket, commit), deadlineMs);
        for (const [region, bucket] of Object.entries(regions)) {
            await waitFor(`replica of ${key} in ${region} bucket ${bucket}`,
                () => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(() => true), deadlineMs);
        }
        const expected = Object.keys(regions).length * Number(outputs.hostsPerRegion);
        const count = await waitFor(`${expected} host records for ${key} in ${outputs.hostDeploymentTable}`, async () => {
            const found = await countHostRecords(dynamo, outputs.hostDeploymentTable, key);
            return found >= expected ? found : undefined;
        }, deadlineMs);
        return `${key} in ${Object.keys(regions).length} regions, ${count} host records`;
    });

    check("file-copy", "upload with spaces and unicode → tracking record COMPLETED", async () => {
        const key = `smoke/${run}/release notes+v1 ✓.txt`;
        await s3.send(new PutObjectCommand({ Bucket: outputs.globalBuildsBucket, Key: key, Body: `smoke ${run}` }));
        const record = await waitFor(`tracking record COMPLETED for ${key}`, async () => {
            const item = (await dynamo.send(new GetCommand({ TableName: outputs.fileCopyTrackingTable, Key: { fileKey: key, sourceBucket: outputs.globalBuildsBucket } }))).Item;
            return item?.status === "COMPLETED" ? item : undefined;
        }, deadlineMs);
        for (const bucket of Object.values<string>(outputs.regionalBuckets)) {
            const copy = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
            expectThat((await copy.Body?.transformToString()) === `smoke ${run}`, `copy in ${bucket} has other content`);
        }
        return `${record.successfulCopies}/${record.totalBuckets} copies`;
    });
    check("file-copy", "StartExecution with a missing bucket → SomeCopiesFailed", async () => {
        const key = `smoke/${run}/partial.txt`;
        await s3.send(new PutObjectCommand({ Bucket: outputs.globalBuildsBucket, Key: key, Body: "partial" }));
        // The upload starts its own run on the same tracking record: let it finish first, or its COMPLETED may land last.
        await waitFor(`tracking record COMPLETED for ${key}`, async () => {
            const item = (await dynamo.send(new GetCommand({ TableName: outputs.fileCopyTrackingTable, Key: { fileKey: key, sourceBucket: outputs.globalBuildsBucket } }))).Item;
            return item?.status === "COMPLETED" ? item : undefined;
        }, deadlineMs);
        const goodBucket = Object.values<string>(outputs.regionalBuckets)[0];
        const missingBucket = `missing-${run}-bucket`;
        const { executionArn } = await sfn.send(new StartExecutionCommand({
            stateMachineArn: outputs.fileCopyStateMachineArn,
            input: JSON.stringify({ sourceBucket: outputs.globalBuildsBucket, sourceKey: key, destinationBuckets: [goodBucket, missingBucket] }),
        }));
        const execution = await waitFor(`execution ${executionArn} to finish`, async () => {
            const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
            return described.status === "RUNNING" ? undefined : described;
        }, deadlineMs);
        expectThat(execution.status === "FAILED" && execution.error === "SomeCopiesFailed",
            `expected FAILED/SomeCopiesFailed (notification sent), got ${execution.status}/${execution.error}`);
        const item = (await dynamo.send(new GetCommand({ TableName: outputs.fileCopyTrackingTable, Key: { fileKey: key, sourceBucket: outputs.globalBuildsBucket } }))).Item;
        expectThat(item?.status === "PARTIALLY_FAILED", `tracking record status is ${item?.status}, expected PARTIALLY_FAILED`);
        expectThat(JSON.stringify(item?.failedBuckets ?? []).includes(missingBucket), `tracking record does not name ${missingBucket} as failed`);
        return `tracking PARTIALLY_FAILED, failure notification sent`;
    });
    check("file-copy", "POST /step-function rejects an unknown bucket", async () => {
        const response = await postJson(`${outputs.stepFunctionApiUrl}/step-function`, { sourceBucket: outputs.globalBuildsBucket, sourceKey: "x.zip", destinationBuckets: ["not-a-known-bucket"] });
        expectThat(response.status === 400, `expected 400, got ${response.status}`);
        return `400 ${JSON.stringify(response.body).slice(0, 80)}`;
    });

    check("orders", "POST /order valid → FULFILLED or FAILED", async () => {
        const accepted = await postJson(`${outputs.orderApiUrl}/order`, { customerId: "CUST-1001", productId: "PROD-2001", quantity: 2, price: 29.99 });
        expectThat(accepted.status === 202 && accepted.body?.status === "ACCEPTED", `POST /order answered ${accepted.status} ${JSON.stringify(accepted.body)}`);
        const order = await waitFor(`order ${accepted.body.orderId} to reach FULFILLED or FAILED`, async () => {
            const found = await getJson(`${outputs.orderApiUrl}/order/${accepted.body.orderId}`);
            return found.status === 200 && ["FULFILLED", "FAILED"].includes(found.body.status) ? found.body : undefined;
        }, deadlineMs);
        expectThat(Math.abs(Number(order.totalAmount) - 59.98) < 0.001, `totalAmount ${order.totalAmount}, expected 59.98`);
        return `${order.status}${order.trackingNumber ? ` ${order.trackingNumber}` : ""}`;
    });
    check("orders", "POST /order with bad ids → REJECTED with reasons", async () => {
        const accepted = await postJson(`${outputs.orderApiUrl}/order`, { customerId: "INVALID-FORMAT", productId: "PROD-2001", quantity: 1, price: 10 });
        expectThat(accepted.status === 202, `POST /order answered ${accepted.status} ${JSON.stringify(accepted.body)}`);
        const order = await waitFor(`order ${accepted.body.orderId} to reach REJECTED`, async () => {
            const found = await getJson(`${outputs.orderApiUrl}/order/${accepted.body.orderId}`);
            return found.status === 200 && found.body.status === "REJECTED" ? found.body : undefined;
        }, deadlineMs);
        return `REJECTED: ${JSON.stringify(order.rejectionReasons ?? order.reasons ?? "").slice(0, 80)}`;
    });
    check("orders", "POST /order malformed → 400", async () => {
        const response = await postJson(`${outputs.orderApiUrl}/order`, "{not json");
        expectThat(response.status === 400, `expected 400, got ${response.status}`);
        return `400 ${JSON.stringify(response.body).slice(0, 80)}`;
    });
    check("orders", "GET unknown order → 404", async () => {
        const response = await getJson(`${outputs.orderApiUrl}/order/${randomUUID()}`);
        expectThat(response.status === 404, `expected 404, got ${response.status}`);
        return "404";
    });

    check("events", "POST /events → record CONFIRMED", async () => {
        const published = await postJson(`${outputs.eventApiUrl}/events`, { type: "smoke.test", payload: { run } });
        expectThat(published.status === 202, `POST /events answered ${published.status} ${JSON.stringify(published.body)}`);
        const record = await waitFor(`event ${published.body.eventId} to be CONFIRMED`, async () => {
            const found = await getJson(`${outputs.eventApiUrl}/events/${published.body.eventId}`);
            return found.status === 200 && found.body.status === "CONFIRMED" ? found.body : undefined;
        }, deadlineMs);
        return `CONFIRMED ${record.eventId}`;
    });
    check("events", "upload to the event bucket → record CONFIRMED", async () => {
        const key = `uploads/smoke-${run}.txt`;
        await s3.send(new PutObjectCommand({ Bucket: outputs.eventBucket, Key: key, Body: "event" }));
        const record = await waitFor(`a CONFIRMED event record for s3://${outputs.eventBucket}/${key}`, async () => {
            const scanned = await dynamo.send(new ScanCommand({ TableName: outputs.eventsTable, FilterExpression: "#subject = :subject", ExpressionAttributeNames: { "#subject": "subject" }, ExpressionAttributeValues: { ":subject": `s3://${outputs.eventBucket}/${key}` } }));
            return scanned.Items?.find(item => item.status === "CONFIRMED");
        }, deadlineMs);
        return `CONFIRMED ${record.eventId}`;
    });
    check("events", "POST /events without type → 400", async () => {
        const response = await postJson(`${outputs.eventApiUrl}/events`, { payload: {} });
        expectThat(response.status === 400, `expected 400, got ${response.status}`);
        return `400 ${JSON.stringify(response.body).slice(0, 80)}`;
    });

    const results = await Promise.all(checks);
    printTable(results, print);
    return results.every(result => result.ok);
}

export async function findBuildKey(s3: S3Client, bucket: string, commit: string): Promise<string | undefined> {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `build-${commit}` }));
    return listed.Contents?.find(object => object.Key?.endsWith(".zip"))?.Key;
}

export async function countHostRecords(dynamo: DynamoDBDocumentClient, table: string, buildId: string): Promise<number> {
    let count = 0;
    let startKey: Record<string, any> | undefined;
    do {
        const page = await dynamo.send(new QueryCommand({ TableName: table, KeyConditionExpression: "build_id = :id", ExpressionAttributeValues: { ":id": buildId }, Select: "COUNT", ExclusiveStartKey: startKey }));
        count += page.Count ?? 0;
        startKey = page.LastEvaluatedKey;
    } while (startKey);
    return count;
}

function printTable(results: SmokeCheck[], print: (line: string) => void): void {
    const rows = results.map(result => [result.ok ? "PASS" : "FAIL", result.system, result.name, `${(result.ms / 1000).toFixed(1)}s`, result.detail]);
    const widths = [4, 11, 60, 7].map((min, column) => Math.max(min, ...rows.map(row => row[column].length)));
    for (const row of rows) {
        print(row.map((cell, column) => (column < widths.length ? cell.padEnd(widths[column]) : cell)).join("  "));
    }
    const failed = results.filter(result => !result.ok).length;
    print(`${results.length - failed} passed, ${failed} failed`);
}

const USAGE = [
    "usage: npm run smoke -- --outputs <file>   (<file>: what `pulumi stack output --json` prints)",
    "       without --outputs: $STACK_OUTPUTS_FILE, else `pulumi stack output --json --show-secrets` of the selected stack",
].join("\n");

/** Exit code: 0 every check passed, 1 a check failed, 2 nothing was checked (usage, outputs, no answer). */
async function main(argv: string[]): Promise<number> {
    if (argv.length !== 0 && !(argv.length === 2 && argv[0] === "--outputs")) {
        console.error(USAGE);
        return 2;
    }
    try {
        return (await runSmoke(loadStackOutputs(argv))) ? 0 : 1;
    } catch (error) {
        // Outputs that cannot be read or used and a silent target are explained in the message; anything else is a bug.
        const explained = error instanceof SmokeNotRun || (error as Error).constructor === Error;
        console.error(`smoke: ${explained ? (error as Error).message : describeError(error)}`);
        return 2;
    }
}

if (require.main === module) {
    void main(process.argv.slice(2)).then(code => {
        process.exitCode = code;
    });
}
