import { execFile } from "child_process";
import * as path from "path";
import { Clock } from "../../sandbox/clock";
import type { SandboxLog } from "../../sandbox/cloud";
import type { RecordedResource } from "../../sandbox/mock-cloud";
import { deployCloud, DeployedCloud, SandboxServer, ServerLimits } from "../../sandbox/server";

export const PROJECT_DIR = path.resolve(__dirname, "../..");
export const REGION = "us-east-1";
export const ACCOUNT = "000000000000";
export const credentials = { accessKeyId: "test", secretAccessKey: "test" };

/** A resource as the mocks would record it (state = inputs plus the computed fields given). */
export function recorded(type: string, name: string, inputs: Record<string, any>, state: Record<string, any> = {}): RecordedResource {
    return { type, name, urn: `urn:pulumi:test::${type}::${name}`, id: name, inputs, state: { ...inputs, ...state } };
}

export function queueResource(endpoint: string, name: string, inputs: Record<string, any> = {}): RecordedResource {
    return recorded("aws:sqs/queue:Queue", name, { name, ...inputs }, { url: `${endpoint}/${ACCOUNT}/${name}`, arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}` });
}

/** A function whose archive is the given CommonJS source exporting `handler`, like a CallbackFunction's `__index.js`. */
export function functionResource(name: string, source: string, inputs: Record<string, any> = {}): RecordedResource {
    return recorded("aws:lambda/function:Function", name, { name, timeout: 30, code: { $archive: { "__index.js": { text: source } } }, ...inputs },
        { arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}` });
}

export interface TestSandbox { endpoint: string; cloud: DeployedCloud; events: Parameters<SandboxLog>[0][]; close(): Promise<void> }

/** Serves the given resources on a free port; `resourcesFor(endpoint)` builds them once the endpoint is known. `timeScale` as in `npm start --time-scale`. */
export async function serve(resourcesFor: (endpoint: string) => RecordedResource[], timeScale = 1, limits: ServerLimits = {}): Promise<TestSandbox> {
    const events: Parameters<SandboxLog>[0][] = [];
    const log: SandboxLog = event => events.push(event);
    const server = new SandboxServer(log, limits);
    const endpoint = await server.listen(0);
    const cloud = await deployCloud({ endpoint, region: REGION, accountId: ACCOUNT, resources: resourcesFor(endpoint), log, clock: new Clock(timeScale) });
    server.attach(cloud.providers);
    return { endpoint, cloud, events, close: async () => { await cloud.close(); await server.close(); } };
}

/** Polls `probe` until it returns a value other than undefined, failing with `what` after the deadline. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, deadlineMs = 8000): Promise<T> {
    const deadline = Date.now() + deadlineMs;
    for (let delay = 20; ; delay = Math.min(delay * 2, 200)) {
        const value = await probe();
        if (value !== undefined) {
            return value;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out waiting for ${what}`);
        }
        await new Promise(resolve => setTimeout(resolve, delay));
    }
}

export interface CliRun { code: number; stdout: string; stderr: string }

/** `npm run smoke -- <args>` in the project, as a user runs it, with the given environment. */
export function runSmokeCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
    return new Promise(resolve => {
        execFile("npm", ["run", "--silent", "smoke", "--", ...args], { cwd: PROJECT_DIR, env, maxBuffer: 16 * 1024 * 1024 },
            (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    });
}
