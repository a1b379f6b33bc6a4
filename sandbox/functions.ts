import { randomBytes } from "crypto";
import * as path from "path";
import { Worker } from "worker_threads";
import { materializeArchive } from "./archive";
import { Clock, REAL_TIME } from "./clock";
import type { FunctionRuntime, SandboxLog } from "./cloud";
import type { Identities } from "./iam/identity";
import type { RecordedResource } from "./mock-cloud";
import type { ConsoleLine, FunctionObserver } from "./telemetry";

/** Lambda's default when a function reserves no concurrency is the account's pool; each worker loads the SDK, so a small one keeps 2 cores usable. */
export const DEFAULT_CONCURRENCY = 4;
/**
 * Real time a handler always gets (unless its own timeout is shorter) whatever the time scale: at 0.1 a 30 s function
 * would have 3 s, and a cold handler's first SDK calls took 2–2.5 s on a loaded 2-core machine, so a busy sandbox
 * timed out work that AWS would finish.
 */
export const MIN_HANDLER_MS = 5000;
/** Event invocations are retried twice on error, like Lambda's asynchronous invocation. */
const ASYNC_RETRIES = 2;

// Runs inside each worker: loads the archive's handler once (one "container", its init phase), then serves invocations.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("worker_threads");
const path = require("path");
const util = require("util");
// The SDK's Node version notice would repeat once per worker; the sandbox's log stays readable without it.
process.removeAllListeners("warning");
// Each console call stays one log event, tagged with the running request's id and level, as the Node.js runtime writes them.
let requestId;
for (const [method, level] of [["log", "INFO"], ["info", "INFO"], ["warn", "WARN"], ["error", "ERROR"], ["debug", "DEBUG"], ["trace", "TRACE"]]) {
  const write = console[method].bind(console);
  console[method] = (...args) => {
    write(...args);
    parentPort.postMessage({ console: { level, text: util.format(...args), requestId, timestamp: Date.now() } });
  };
}
let handler;
let initError;
try {
  handler = require(path.join(workerData.dir, "__index.js")).handler;
} catch (error) {
  initError = error;
}
parentPort.postMessage({ ready: true });
parentPort.on("message", async ({ id, payload }) => {
  requestId = id;
  try {
    if (initError) throw initError;
    const context = { functionName: workerData.functionName, awsRequestId: id, getRemainingTimeInMillis: () => workerData.timeoutMs, callbackWaitsForEmptyEventLoop: true };
    const result = await new Promise((resolve, reject) => {
      const returned = handler(payload, context, (error, value) => (error ? reject(error) : resolve(value)));
      if (returned && typeof returned.then === "function") returned.then(resolve, reject);
    });
    parentPort.postMessage({ id, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    parentPort.postMessage({ id, error: { name: e.name, message: e.message, stack: e.stack } });
  }
});
`;

const PRELOAD_FLAGS = new Set(["-r", "--require", "--import", "--loader", "--experimental-loader"]);

/**
 * Node options for a function's worker: the parent's, less the modules it preloads (e.g. `-r ts-node/register`). Lambda
 * starts a handler without them, and a TypeScript compiler loaded into every worker cost each one ~0.5 s of CPU.
 */
export function withoutPreloads(execArgv: string[]): string[] {
    return execArgv.filter((arg, index) => !PRELOAD_FLAGS.has(arg) && !PRELOAD_FLAGS.has(execArgv[index - 1]) && !PRELOAD_FLAGS.has(arg.split("=")[0]));
}

export interface FunctionDefinition {
    name: string;
    arn: string;
    dir: string;
    environment: Record<string, string>;
    timeoutSeconds: number;
    memorySizeMb: number;
    concurrency: number;
}

interface Pool {
    definition: FunctionDefinition;
    idle: Worker[];
    busy: number;
    waiting: (() => void)[];
}

export interface FunctionRuntimeOptions {
    projectDir: string;
    endpoint: string;
    region: string;
    resources: RecordedResource[];
    /** Issues each function the credentials of its execution role, as Lambda does. */
    identities: Identities;
    log: SandboxLog;
    /** Where archives are unpacked. Default: `<projectDir>/.sandbox/functions`. */
    workDir?: string;
    /** What becomes of the functions' console output (Lambda's CloudWatch Logs). Default: "inherit" (the sandbox's stdout/stderr). */
    functionOutput?: "inherit" | "discard";
    /** Scales each function's timeout, which bounds the invoke phase only (init is not counted, as on AWS). Default: real time. */
    clock?: Clock;
    /** Told of every invocation and console line (CloudWatch metrics and Logs). Default: none. */
    observer?: FunctionObserver;
}

/** Every `aws:lambda/function:Function` of the synthesis, unpacked and run in isolated worker threads. */
export class WorkerFunctionRuntime implements FunctionRuntime {
    private readonly pools = new Map<string, Pool>();
    private readonly pending = new Set<Promise<unknown>>();
    private readonly crashed = new WeakSet<Worker>();
    /** Settles when a worker has loaded its handler: Lambda's timeout covers the invoke phase, not init. */
    private readonly initialized = new WeakMap<Worker, Promise<void>>();
    /** Each worker is one "container" with its own log stream. */
    private readonly logStreams = new WeakMap<Worker, string>();
    private invocationCount = 0;
    private closed = false;

    constructor(private readonly options: FunctionRuntimeOptions) {
        const workDir = options.workDir ?? path.join(options.projectDir, ".sandbox", "functions");
        for (const resource of options.resources.filter(r => r.type === "aws:lambda/function:Function")) {
            const name: string = resource.state.name;
            // Lambda's session name for the execution role is the function's name (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html).
            const credentials = options.identities.issue(resource.inputs.role, name);
            const dir = materializeArchive(options.projectDir, resource.inputs.code.$archive, path.join(workDir, name));
            const definition: FunctionDefinition = {
                name,
                arn: resource.state.arn,
                dir,
                environment: {
                    ...(resource.inputs.environment?.variables ?? {}),
                    AWS_ENDPOINT_URL: options.endpoint,
                    AWS_REGION: options.region,
                    AWS_DEFAULT_REGION: options.region,
                    AWS_ACCESS_KEY_ID: credentials?.accessKeyId ?? "test",
                    AWS_SECRET_ACCESS_KEY: credentials?.secretAccessKey ?? "test",
                    ...(credentials ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
                    AWS_LAMBDA_FUNCTION_NAME: name,
                    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(resource.inputs.memorySize ?? 128),
                },
                timeoutSeconds: resource.inputs.timeout ?? 3,
                memorySizeMb: resource.inputs.memorySize ?? 128,
                concurrency: resource.inputs.reservedConcurrentExecutions > 0 ? resource.inputs.reservedConcurrentExecutions : DEFAULT_CONCURRENCY,
            };
            this.pools.set(name, { definition, idle: [], busy: 0, waiting: [] });
        }
    }

    /** The function's definition by name or (possibly qualified) ARN; undefined when it does not exist. */
    find(functionNameOrArn: string): FunctionDefinition | undefined {
        const name = functionNameOrArn.startsWith("arn:") ? functionNameOrArn.split(":")[6] : functionNameOrArn.split(":")[0];
        return this.pools.get(name)?.definition;
    }

    async invoke(functionNameOrArn: string, payload: unknown): Promise<unknown> {
        const definition = this.find(functionNameOrArn);
        if (!definition) {
            throw Object.assign(new Error(`Function not found: ${functionNameOrArn}`), { name: "ResourceNotFoundException" });
        }
        const pool = this.pools.get(definition.name)!;
        const worker = await this.acquire(pool);
        await this.initialized.get(worker);
        const id = `${Date.now().toString(16)}-${++this.invocationCount}`;
        const started = Date.now();
        let healthy = true;
        try {
            const result = await new Promise<unknown>((resolve, reject) => {
                const timer = setTimeout(() => {
                    healthy = false;
                    void worker.terminate();
                    reject(Object.assign(new Error(`Task timed out after ${definition.timeoutSeconds.toFixed(2)} seconds`), { name: "Sandbox.Timedout" }));
                }, this.timeoutMs(definition));
                const cleanup = () => {
                    clearTimeout(timer);
                    worker.off("message", onMessage);
                    worker.off("error", onError);
                };
                const onMessage = (message: { id: string; result?: unknown; error?: { name: string; message: string; stack?: string } }) => {
                    if (message.id !== id) {
                        return;
                    }
                    cleanup();
                    if (message.error) {
                        reject(Object.assign(new Error(message.error.message), { name: message.error.name, stack: message.error.stack }));
                    } else {
                        resolve(message.result);
                    }
                };
                const onError = (error: Error) => {
                    healthy = false;
                    cleanup();
                    reject(error);
                };
                worker.on("message", onMessage);
                worker.on("error", onError);
                worker.postMessage({ id, payload });
            });
            this.options.log({ kind: "invoke", message: `${definition.name} ok in ${Date.now() - started} ms` });
            this.report(definition, worker, id, started);
            return result;
        } catch (error) {
            this.options.log({ kind: "invoke", message: `${definition.name} failed in ${Date.now() - started} ms: ${(error as Error).name}: ${(error as Error).message}` });
            this.report(definition, worker, id, started, error as Error);
            throw error;
        } finally {
            this.release(pool, worker, healthy);
        }
    }

    invokeAsync(functionNameOrArn: string, payload: unknown): void {
        const attempt = async (): Promise<void> => {
            for (let tries = 0; tries <= ASYNC_RETRIES && !this.closed; tries++) {
                try {
                    await this.invoke(functionNameOrArn, payload);
                    return;
                } catch (error) {
                    if ((error as Error).name === "ResourceNotFoundException") {
                        break;
                    }
                }
            }
            this.options.log({ kind: "error", message: `async invocation of ${functionNameOrArn} failed after ${ASYNC_RETRIES} retries` });
        };
        const running = attempt();
        this.pending.add(running);
        void running.finally(() => this.pending.delete(running));
    }

    async close(): Promise<void> {
        this.closed = true;
        await Promise.allSettled([...this.pending]);
        const workers = [...this.pools.values()].flatMap(pool => pool.idle.splice(0));
        await Promise.all(workers.map(worker => worker.terminate()));
    }

    private async acquire(pool: Pool): Promise<Worker> {
        while (pool.idle.length === 0 && pool.busy >= pool.definition.concurrency) {
            await new Promise<void>(resolve => pool.waiting.push(resolve));
        }
        pool.busy++;
        return pool.idle.pop() ?? this.spawn(pool.definition);
    }

    private release(pool: Pool, worker: Worker, healthy: boolean): void {
        pool.busy--;
        if (healthy && !this.closed && !this.crashed.has(worker)) {
            pool.idle.push(worker);
        } else {
            void worker.terminate();
        }
        pool.waiting.shift()?.();
    }

    private report(definition: FunctionDefinition, worker: Worker, requestId: string, startedAt: number, error?: Error): void {
        this.options.observer?.invoked({
            functionName: definition.name, requestId, logStream: this.logStreams.get(worker)!, startedAt, durationMs: Date.now() - startedAt, memorySizeMb: definition.memorySizeMb,
            ...(error ? { error: { name: error.name, message: error.message, stack: error.stack } } : {}),
        });
    }

    /** The scaled timeout, but never less real time than min(timeout, MIN_HANDLER_MS): the clock shortens waits, not a handler's work. */
    private timeoutMs(definition: FunctionDefinition): number {
        return Math.max((this.options.clock ?? REAL_TIME).ms(definition.timeoutSeconds), Math.min(definition.timeoutSeconds * 1000, MIN_HANDLER_MS));
    }

    private spawn(definition: FunctionDefinition): Worker {
        const discardOutput = this.options.functionOutput === "discard";
        const worker = new Worker(WORKER_SOURCE, {
            eval: true,
            execArgv: withoutPreloads(process.execArgv),
            env: { ...process.env, ...definition.environment },
            workerData: { dir: definition.dir, functionName: definition.name, timeoutMs: this.timeoutMs(definition) },
            stdout: discardOutput,
            stderr: discardOutput,
        });
        if (discardOutput) {
            // Piped streams that nobody reads would buffer every line; flowing with no listener drops them.
            worker.stdout.resume();
            worker.stderr.resume();
        }
        const logStream = `${new Date().toISOString().slice(0, 10).replace(/-/g, "/")}/[$LATEST]${randomBytes(16).toString("hex")}`;
        this.logStreams.set(worker, logStream);
        worker.on("message", (message: { console?: Omit<ConsoleLine, "functionName" | "logStream"> }) => {
            if (message.console) {
                this.options.observer?.logged({ ...message.console, functionName: definition.name, logStream });
            }
        });
        // A crash outside an invocation (e.g. an unhandled rejection left behind) retires the worker instead of the sandbox.
        worker.on("error", () => this.crashed.add(worker));
        this.initialized.set(worker, new Promise(resolve => {
            const settle = () => {
                worker.off("message", onReady);
                worker.off("error", settle);
                worker.off("exit", settle);
                resolve();
            };
            const onReady = (message: { ready?: boolean }) => message.ready && settle();
            worker.on("message", onReady);
            worker.on("error", settle);
            worker.on("exit", settle);
        }));
        // An idle worker must not keep the process alive after the sandbox closes.
        worker.unref();
        return worker;
    }
}
