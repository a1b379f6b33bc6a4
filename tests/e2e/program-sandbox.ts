import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as readline from "readline";
import type { SandboxLog } from "../../sandbox/cloud";
import type { SandboxOptions } from "../../sandbox/main";

const PROJECT_DIR = path.resolve(__dirname, "../..");
type LogEvent = Parameters<SandboxLog>[0];

export interface ProgramSandbox {
    endpoint: string;
    outputs: Record<string, any>;
    /** The sandbox's log so far (grows while it runs). */
    events: LogEvent[];
    close(): Promise<void>;
}

/**
 * The real program in the sandbox, in a child process (synthesis loads index.ts once per process): the child prints
 * one JSON line per log event and a `ready` line with the endpoint and stack outputs, and stops when stdin closes.
 * Its clock runs at `npm start`'s default time scale unless `timeScale` says otherwise.
 */
export async function startProgramSandbox(options: Pick<SandboxOptions, "configOverrides" | "timeScale" | "iam"> = {}): Promise<ProgramSandbox> {
    const child: ChildProcess = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "program-sandbox.ts"), JSON.stringify(options)],
        { cwd: PROJECT_DIR, stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, AWS_ENDPOINT_URL: "" } });
    const events: LogEvent[] = [];
    const exited = new Promise<void>(resolve => child.once("exit", () => resolve()));
    const ready = await new Promise<{ endpoint: string; outputs: Record<string, any> }>((resolve, reject) => {
        child.once("exit", code => reject(new Error(`the program sandbox exited with ${code} before it was ready`)));
        readline.createInterface({ input: child.stdout! }).on("line", line => {
            const message = line.startsWith("{") ? JSON.parse(line) : undefined;
            if (message?.log) {
                events.push(message.log);
            } else if (message?.ready) {
                resolve(message.ready);
            }
        });
    });
    return {
        ...ready, events,
        close: async () => {
            child.stdin!.end();
            await exited;
        },
    };
}

async function serveInThisProcess(): Promise<void> {
    const { DEFAULT_TIME_SCALE, startSandbox } = await import("../../sandbox/main");
    const options: SandboxOptions = JSON.parse(process.argv[2] ?? "{}");
    const sandbox = await startSandbox({ timeScale: DEFAULT_TIME_SCALE, ...options, port: 0, functionOutput: "discard", log: event => console.log(JSON.stringify({ log: event })) });
    console.log(JSON.stringify({ ready: { endpoint: sandbox.endpoint, outputs: sandbox.outputs } }));
    process.stdin.on("end", () => void sandbox.close().then(() => process.exit(0)));
    process.stdin.resume();
}

if (require.main === module) {
    serveInThisProcess().catch(error => {
        console.error(error);
        process.exit(1);
    });
}
