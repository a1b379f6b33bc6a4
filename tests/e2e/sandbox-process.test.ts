import { expect } from "chai";
import { ChildProcess, execFile, spawn } from "child_process";
import * as net from "net";
import * as path from "path";

const PROJECT_DIR = path.resolve(__dirname, "../..");

/** `npm start` as a user runs it; resolves with the endpoint once the sandbox says it is ready. */
function npmStart(...extra: string[]): { child: ChildProcess; ready: Promise<string>; exited: Promise<number | null>; output: () => string } {
    const child = spawn("npm", ["start", "--", "--port", "0", ...extra], { cwd: PROJECT_DIR, env: { ...process.env, AWS_ENDPOINT_URL: "" }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const ready = new Promise<string>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
            output += chunk.toString();
            const match = /sandbox ready at (http:\/\/\S+)/.exec(output);
            if (match) {
                resolve(match[1]);
            }
        };
        child.stdout!.on("data", onData);
        child.stderr!.on("data", onData);
        child.on("exit", () => reject(new Error(`npm start exited before it was ready:\n${output}`)));
    });
    const exited = new Promise<number | null>(resolve => child.on("exit", code => resolve(code)));
    return { child, ready, exited, output: () => output };
}

function refusesConnections(endpoint: string): Promise<boolean> {
    const { hostname, port } = new URL(endpoint);
    return new Promise(resolve => {
        const socket = net.connect(Number(port), hostname, () => { socket.destroy(); resolve(false); });
        socket.on("error", () => resolve(true));
    });
}

describe("npm start as a process", function () {
    this.timeout(120000);

    for (const signal of ["SIGTERM", "SIGINT"] as const) {
        it(`stops and frees its port on ${signal} to the npm process the user started`, async () => {
            const run = npmStart();
            try {
                const endpoint = await run.ready;
                run.child.kill(signal);
                expect(await run.exited, run.output()).to.equal(0);
                expect(run.output()).to.contain(`${signal}: stopping the sandbox`);
                expect(await refusesConnections(endpoint)).to.equal(true);
            } finally {
                run.child.kill("SIGKILL");
            }
        });
    }

    it("says the port is in use and exits non-zero when another process holds it", async () => {
        const holder = net.createServer();
        await new Promise<void>(resolve => holder.listen(0, "127.0.0.1", resolve));
        const port = (holder.address() as net.AddressInfo).port;
        try {
            const { code, output } = await new Promise<{ code: number; output: string }>(resolve => {
                execFile(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(PROJECT_DIR, "sandbox/main.ts"), "--port", String(port)], { cwd: PROJECT_DIR },
                    (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }));
            });
            expect(code).to.equal(1);
            expect(output).to.contain(`port ${port} is already in use`);
        } finally {
            holder.close();
        }
    });
});
