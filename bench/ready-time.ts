import { spawn } from "child_process";
import * as path from "path";

const PROJECT_DIR = path.resolve(__dirname, "..");
const READY_LINE = /sandbox ready at \S+ in \d+ ms/;
const READY_DEADLINE_MS = 120_000;

/**
 * Milliseconds from spawning `npm start -- --port 0` to its "sandbox ready" line, as a user sees it (npm, ts-node,
 * synthesis, deploy); then stops that process group with SIGTERM, which the sandbox handles by closing.
 */
export async function measureReadyMs(): Promise<number> {
    const started = Date.now();
    // Its own process group, so the signal reaches ts-node under npm; the smoke test it starts after "ready" is cut short.
    const child = spawn("npm", ["start", "--", "--port", "0"], { cwd: PROJECT_DIR, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<void>(resolve => child.once("exit", () => resolve()));
    let output = "";
    try {
        return await new Promise<number>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`npm start printed no "sandbox ready" within ${READY_DEADLINE_MS / 1000} s:\n${output}`)), READY_DEADLINE_MS);
            child.stdout.on("data", (chunk: Buffer) => {
                output += chunk.toString("utf8");
                if (READY_LINE.test(output)) {
                    clearTimeout(timer);
                    resolve(Date.now() - started);
                }
            });
            child.stderr.on("data", (chunk: Buffer) => { output += chunk.toString("utf8"); });
            child.once("exit", code => {
                clearTimeout(timer);
                reject(new Error(`npm start exited with ${code} before "sandbox ready":\n${output}`));
            });
        });
    } finally {
        if (child.exitCode === null) {
            process.kill(-child.pid!, "SIGTERM");
        }
        await exited;
    }
}
