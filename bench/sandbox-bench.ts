/**
 * Benchmarks against the Docker-free sandbox (`npm run bench`): `npm start` to ready, end-to-end latency of
 * orders and builds, accepted-order throughput, and host records/s written by the deployed regional-sync next to
 * raw 25-item BatchWriteItem calls against the sandbox endpoint and against a dynalite of its own, in the same run.
 * Prints figures; asserts nothing. With --json it also prints one line of JSON with the headline figures and `raw`.
 *
 * Flags: --orders N (1000), --order-clients N (32), --single-builds N (5, one after another), --builds N (20, posted together), --sync-events N (5), --sync-rounds N (3), --json,
 * --iam-orders N (200 per round of the IAM cost phase, which compares accepted-order throughput with --iam off and
 * enforce in this run; 0 skips it).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { randomUUID } from "crypto";
import * as os from "os";
import { forEachLimited } from "../functions/replication/regional-sync";
import { DEFAULT_TIME_SCALE, startSandbox, type RunningSandbox } from "../sandbox/main";
import { s3EventRecord } from "../sandbox/services/s3";
import { countHostRecords, findBuildKey, postJson, type StackOutputs } from "../scripts/smoke";
import { startRawDynalite, writeHostRecords, type BatchTarget } from "./batch-writers";
import { measureReadyMs } from "./ready-time";
import { latencySummary, percentile, perSecond } from "./stats";

/** The project default (Pulumi.yaml), not the local stack's 100: the rollout the seed describes writes thousands of records. */
const HOSTS_PER_REGION = 1000;
/** Polling period for build completion; it bounds the resolution of the build latencies. */
const POLL_MS = 100;
/** Order latencies come from the records' own timestamps, so their completion scan can be rare and load the table less. */
const ORDER_SCAN_MS = 1000;
const DEADLINE_MS = 10 * 60_000;
const TERMINAL_ORDER_STATUSES = new Set(["FULFILLED", "FAILED", "REJECTED"]);

function flag(name: string, fallback: number): number {
    const index = process.argv.indexOf(`--${name}`);
    return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

async function pollUntil(what: string, done: () => Promise<boolean>, periodMs = POLL_MS): Promise<void> {
    const deadline = Date.now() + DEADLINE_MS;
    while (!(await done())) {
        if (Date.now() > deadline) {
            throw new Error(`${what} did not happen within ${DEADLINE_MS / 1000} s`);
        }
        await new Promise(resolve => setTimeout(resolve, periodMs));
    }
}

async function scanAll(dynamo: DynamoDBDocumentClient, table: string): Promise<Record<string, any>[]> {
    const items: Record<string, any>[] = [];
    let startKey: Record<string, any> | undefined;
    do {
        const page = await dynamo.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: startKey }));
        items.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
}

/** POST /order from `clients` concurrent clients; latency runs from sending the POST to the terminal status's `updatedAt`. */
async function benchOrders(outputs: StackOutputs, dynamo: DynamoDBDocumentClient, count: number, clients: number): Promise<Record<string, number>> {
    const sentAt = new Map<string, number>();
    const acceptLatencies: number[] = [];
    let refused = 0;
    const started = Date.now();
    // `clients` requests in flight, like that many users sending back to back.
    await forEachLimited(Array.from({ length: count }, (_, index) => index), clients, async index => {
        const sent = Date.now();
        const order = { customerId: `CUST-${1000 + (index % 9000)}`, productId: `PROD-${2000 + (index % 50)}`, quantity: 1 + (index % 5), price: 9.99 };
        const response = await postJson(`${outputs.orderApiUrl}/order`, order);
        if (response.status !== 202) {
            refused++;
            return;
        }
        acceptLatencies.push(Date.now() - sent);
        sentAt.set(response.body.orderId, sent);
    });
    const acceptedMs = Date.now() - started;
    console.log(`orders: ${sentAt.size} accepted, ${refused} refused in ${(acceptedMs / 1000).toFixed(1)} s → accepted-order throughput ${perSecond(sentAt.size, acceptedMs)} (${clients} clients)`);
    console.log(`  POST /order → 202               ${latencySummary(acceptLatencies)}`);

    let orders: Record<string, any>[] = [];
    await pollUntil(`${sentAt.size} orders reaching a terminal status`, async () => {
        orders = (await scanAll(dynamo, outputs.ordersTable)).filter(order => sentAt.has(order.order_id));
        return orders.length === sentAt.size && orders.every(order => TERMINAL_ORDER_STATUSES.has(order.status));
    }, ORDER_SCAN_MS);
    const latencyOf = (order: Record<string, any>) => Date.parse(order.updatedAt) - sentAt.get(order.order_id)!;
    const terminal = orders.map(latencyOf);
    // fulfil-order stores the receive count (ApproximateReceiveCount) of the receive that fulfilled the order.
    const firstAttempt = orders.filter(order => order.status === "FULFILLED" && order.fulfilmentAttempts === 1).map(latencyOf);
    console.log(`  POST /order → terminal status   ${latencySummary(terminal)}`);
    for (const status of TERMINAL_ORDER_STATUSES) {
        const reached = orders.filter(order => order.status === status);
        if (reached.length > 0) {
            console.log(`    ${status.padEnd(9)}                    ${latencySummary(reached.map(latencyOf))}`);
        }
    }
    console.log(`    fulfilled on the first receive ${latencySummary(firstAttempt)}`);
    const allTerminalMs = Date.now() - started;
    console.log(`  all orders terminal ${(allTerminalMs / 1000).toFixed(1)} s after the first POST`);
    const countOf = (status: string) => orders.filter(order => order.status === status).length;
    return {
        orderP50Ms: percentile(terminal, 50), orderP99Ms: percentile(terminal, 99), firstAttemptP99Ms: percentile(firstAttempt, 99),
        ordersPerSecond: sentAt.size / (acceptedMs / 1000), orderAcceptP50Ms: percentile(acceptLatencies, 50), orderAcceptP99Ms: percentile(acceptLatencies, 99),
        ordersFulfilled: countOf("FULFILLED"), ordersFulfilledFirstReceive: firstAttempt.length, ordersFailed: countOf("FAILED"), ordersRejected: countOf("REJECTED"),
        ordersRefused: refused, allOrdersTerminalMs: allTerminalMs,
    };
}

/**
 * IAM's cost: accepted-order throughput with enforcement off and on, in rounds of `count` orders on the same sandbox.
 * Each round's orders are still being processed during the next one, so a first, uncounted round makes every counted
 * round follow an equal one, and the counted rounds go off, enforce, enforce, off so drift weighs on both alike.
 */
async function benchIamCost(sandbox: RunningSandbox, count: number, clients: number): Promise<Record<string, number>> {
    const outputs = sandbox.outputs as StackOutputs;
    const totals = { off: { accepted: 0, ms: 0 }, enforce: { accepted: 0, ms: 0 } };
    for (const [round, mode] of (["enforce", "off", "enforce", "enforce", "off"] as const).entries()) {
        sandbox.setIamMode(mode);
        const started = Date.now();
        let accepted = 0;
        await forEachLimited(Array.from({ length: count }, (_, index) => index), clients, async index => {
            const order = { customerId: `CUST-${1000 + (index % 9000)}`, productId: `PROD-${2000 + (index % 50)}`, quantity: 1, price: 9.99 };
            if ((await postJson(`${outputs.orderApiUrl}/order`, order)).status === 202) {
                accepted++;
            }
        });
        if (round > 0) {
            totals[mode].accepted += accepted;
            totals[mode].ms += Date.now() - started;
        }
    }
    sandbox.setIamMode("enforce");
    const rate = (mode: keyof typeof totals) => totals[mode].accepted / totals[mode].ms;
    console.log(`IAM cost: accepted-order throughput ${perSecond(totals.off.accepted, totals.off.ms)} with --iam off, ${perSecond(totals.enforce.accepted, totals.enforce.ms)} with enforce`
        + ` (${((1 - rate("enforce") / rate("off")) * 100).toFixed(1)}% less; 2 rounds of ${count} orders each after a warm-up round)`);
    return { iamOffOrdersPerSecond: rate("off") * 1000, iamEnforceOrdersPerSecond: rate("enforce") * 1000, iamCostPercent: (1 - rate("enforce") / rate("off")) * 100 };
}

/**
 * POST /builds; latency runs to the moment every region's host records are all there. One build at a time gives the
 * latency a developer waits for (`buildToHostsP50Ms`); `burst` builds posted together show throughput, bound by the
 * table's write rate.
 */
async function benchBuilds(outputs: StackOutputs, s3: S3Client, dynamo: DynamoDBDocumentClient, single: number, burst: number): Promise<Record<string, number>> {
    const regions = Object.keys(outputs.regionalBuckets as Record<string, string>).length;
    const expectedRecords = regions * HOSTS_PER_REGION;
    const run = randomUUID().slice(0, 8);
    const deploy = async (commit: string): Promise<number> => {
        const sent = Date.now();
        const accepted = await postJson(`${outputs.buildsApiUrl}/builds`, { commit });
        if (accepted.status !== 202) {
            throw new Error(`POST /builds answered ${accepted.status} ${JSON.stringify(accepted.body)}`);
        }
        let key: string | undefined;
        await pollUntil(`${expectedRecords} host records for commit ${commit}`, async () => {
            key ??= await findBuildKey(s3, outputs.globalBuildsBucket, commit);
            return key !== undefined && (await countHostRecords(dynamo, outputs.hostDeploymentTable, key)) >= expectedRecords;
        });
        return Date.now() - sent;
    };
    console.log(`builds: each → artifact in ${regions} regional buckets → ${expectedRecords.toLocaleString("en-US")} host records (poll ${POLL_MS} ms)`);
    const singles: number[] = [];
    for (let index = 0; index < single; index++) {
        singles.push(await deploy(`bench${run}s${index}`));
    }
    console.log(`  one at a time (${single}): POST /builds → all host records ${latencySummary(singles)}`);
    const started = Date.now();
    const bursts = await Promise.all(Array.from({ length: burst }, (_, index) => deploy(`bench${run}b${index}`)));
    const allDeployedMs = Date.now() - started;
    console.log(`  ${burst} posted together: POST /builds → all host records ${latencySummary(bursts)}; all deployed ${(allDeployedMs / 1000).toFixed(1)} s after the first POST`);
    return {
        buildToHostsP50Ms: percentile(singles, 50), buildToHostsP99Ms: percentile(singles, 99), singleBuilds: single,
        burstBuildToHostsP50Ms: percentile(bursts, 50), burstBuildToHostsP99Ms: percentile(bursts, 99), burstBuilds: burst,
        hostRecordsPerBuild: expectedRecords, allBurstBuildsDeployedMs: allDeployedMs,
    };
}

/** The deployed regional-sync, invoked synchronously with an S3 event of `events` created objects; answers the elapsed ms and the records written. */
async function invokeRegionalSync(sandbox: RunningSandbox, functionName: string, events: number): Promise<{ ms: number; written: number }> {
    const bucket = Object.values((sandbox.outputs as StackOutputs).regionalBuckets as Record<string, string>)[0];
    const event = {
        Records: Array.from({ length: events }, (_, index) => s3EventRecord({
            region: "us-east-1", bucket, key: `bench/batch-writer-${index}.zip`, size: 1, eTag: "bench", sequencer: String(index),
            eventName: "ObjectCreated:Put", eventTime: new Date().toISOString(), configurationId: "bench",
        })),
    };
    const started = Date.now();
    const response = await fetch(`${sandbox.endpoint}/2015-03-31/functions/${functionName}/invocations`, { method: "POST", body: JSON.stringify(event) });
    const result = await response.json() as { written?: number; errorMessage?: string };
    const ms = Date.now() - started;
    if (response.headers.get("x-amz-function-error") || result.written === undefined) {
        throw new Error(`regional-sync failed: ${result.errorMessage ?? JSON.stringify(result)}`);
    }
    return { ms, written: result.written };
}

/**
 * The same number of host records by three writers, `rounds` times in rotating order so load spikes spread over all
 * three: the deployed regional-sync, raw BatchWriteItem ×25 against the sandbox endpoint, and the same against a raw dynalite.
 */
async function benchHostWriters(sandbox: RunningSandbox, events: number, rounds: number): Promise<Record<string, number>> {
    const outputs = sandbox.outputs as StackOutputs;
    const regionalSync = sandbox.resources.find(resource => resource.type === "aws:lambda/function:Function" && String(resource.state.name).endsWith("-regional-sync"));
    if (!regionalSync) {
        throw new Error("the program has no regional-sync function");
    }
    const concurrency = Number(regionalSync.inputs.environment?.variables?.SYNC_CONCURRENCY);
    const endpoint: BatchTarget = { name: "sandbox endpoint", client: new DynamoDBClient({}), table: outputs.hostDeploymentTable };
    const raw = await startRawDynalite(outputs.hostDeploymentTable);
    const totals = { sync: 0, endpoint: 0, raw: 0 };
    let records = 0;
    try {
        const run = randomUUID().slice(0, 8);
        for (let round = 0; round < rounds; round++) {
            const writers = [
                async () => {
                    const { ms, written } = await invokeRegionalSync(sandbox, regionalSync.state.name, events);
                    totals.sync += ms;
                    records += written;
                },
                async () => { totals.endpoint += await writeHostRecords(endpoint, `bench-${run}-${round}`, events * HOSTS_PER_REGION, concurrency); },
                async () => { totals.raw += await writeHostRecords(raw, `bench-${run}-${round}`, events * HOSTS_PER_REGION, concurrency); },
            ];
            for (let index = 0; index < writers.length; index++) {
                await writers[(index + round) % writers.length]();
            }
        }
    } finally {
        endpoint.client.destroy();
        await raw.close();
    }
    const perWriter = records / rounds;
    console.log(`host records: ${perWriter.toLocaleString("en-US")} per writer and round, ${rounds} rounds, BatchWriteItem ×25 with ${concurrency} in flight`);
    console.log(`  regional-sync (deployed function)   ${perSecond(records, totals.sync)}`);
    console.log(`  raw → sandbox DynamoDB endpoint     ${perSecond(records, totals.endpoint)}`);
    console.log(`  raw → dynalite of its own           ${perSecond(records, totals.raw)}`);
    console.log(`  regional-sync / raw endpoint ×${(totals.endpoint / totals.sync).toFixed(2)}; endpoint / raw dynalite ×${(totals.raw / totals.endpoint).toFixed(2)}`);
    return {
        syncRatio: totals.endpoint / totals.sync, dynamoBatchRatio: totals.raw / totals.endpoint,
        syncRecordsPerSecond: records / (totals.sync / 1000), endpointBatchRecordsPerSecond: records / (totals.endpoint / 1000),
        dynaliteBatchRecordsPerSecond: records / (totals.raw / 1000), hostWriterRounds: rounds, hostRecordsPerWriterRound: perWriter,
    };
}

async function main(): Promise<void> {
    const errors: string[] = [];
    const loadAtStart = os.loadavg()[0];
    // First, while nothing else of the bench runs: the user's path, in a process of its own.
    const readyMs = await measureReadyMs();
    console.log(`npm start → "sandbox ready" in ${(readyMs / 1000).toFixed(1)} s (child process)`);
    const booted = Date.now();
    const sandbox = await startSandbox({
        port: 0,
        // The same clock as `npm start`, so fulfilment retries and the DLQ path finish in seconds.
        timeScale: DEFAULT_TIME_SCALE,
        functionOutput: "discard",
        configOverrides: { "serverless-pipelines:hostsPerRegion": HOSTS_PER_REGION },
        log: event => (event.kind === "error" ? errors.push(event.message) : undefined),
    });
    const deployMs = Date.now() - booted;
    console.log(`sandbox deployed in process in ${(deployMs / 1000).toFixed(1)} s at ${sandbox.endpoint}; ${process.version}, ${os.cpus().length} cores, load ${loadAtStart.toFixed(2)}`);
    Object.assign(process.env, { AWS_ENDPOINT_URL: sandbox.endpoint, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" });
    const outputs = sandbox.outputs as StackOutputs;
    const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const s3 = new S3Client({ forcePathStyle: true });
    let figures: Record<string, number>;
    try {
        const orders = await benchOrders(outputs, dynamo, flag("orders", 1000), flag("order-clients", 32));
        const iamCost = flag("iam-orders", 200) > 0 ? await benchIamCost(sandbox, flag("iam-orders", 200), flag("order-clients", 32)) : {};
        const builds = await benchBuilds(outputs, s3, dynamo, flag("single-builds", 5), flag("builds", 20));
        const writers = await benchHostWriters(sandbox, flag("sync-events", 5), flag("sync-rounds", 3));
        figures = { ...orders, ...iamCost, ...builds, ...writers };
    } finally {
        await sandbox.close();
    }
    if (errors.length > 0) {
        console.log(`sandbox errors during the run (${errors.length}):\n  ${errors.slice(0, 10).join("\n  ")}`);
    }
    if (process.argv.includes("--json")) {
        const headline = ["orderP50Ms", "orderP99Ms", "firstAttemptP99Ms", "buildToHostsP50Ms", "syncRatio", "dynamoBatchRatio"] as const;
        const round = (value: number) => Math.round(value * 100) / 100;
        console.log(JSON.stringify({
            ...Object.fromEntries(headline.map(key => [key, round(figures[key])])), readyMs, ordersPerSecond: round(figures.ordersPerSecond),
            raw: {
                ...Object.fromEntries(Object.entries(figures).filter(([key]) => !(headline as readonly string[]).includes(key) && key !== "ordersPerSecond").map(([key, value]) => [key, round(value)])),
                deployInProcessMs: deployMs, sandboxErrors: errors.length, cores: os.cpus().length, loadAverageAtStart: round(loadAtStart), loadAverageAtEnd: round(os.loadavg()[0]),
            },
        }));
    }
}

main().catch(error => {
    console.error(error);
    process.exit(1);
});
