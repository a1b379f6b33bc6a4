import { expect } from "chai";
import { execFile } from "child_process";
import * as path from "path";

const PROJECT_DIR = path.resolve(__dirname, "../..");

interface Run { code: number; output: string }

/** `npm start -- --once` in its own process (synthesis loads index.ts once per process), on a free port. */
function startOnce(...extra: string[]): Promise<Run> {
    return new Promise(resolve => {
        execFile(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(PROJECT_DIR, "sandbox/main.ts"), "--once", "--port", "0", ...extra],
            { cwd: PROJECT_DIR, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, AWS_ENDPOINT_URL: "" } },
            (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}\n${stderr}` }));
    });
}

describe("sandbox: the real program end to end", function () {
    this.timeout(240000);

    it("deploys the program, prints its stack outputs and passes the smoke test (npm start -- --once)", async () => {
        const run = await startOnce();
        expect(run.output).to.match(/"globalBuildsBucket": "sp-local-global-builds"/);
        expect(run.output, run.output.split("\n").filter(line => line.startsWith("FAIL")).join("\n")).to.contain("smoke test passed");
        expect(run.code).to.equal(0);
    });

    it("fails the smoke test, naming what did not happen, when one bucket's invoke permission is missing", async () => {
        const run = await startOnce("--without", "replication-region-a-builds-invoke", "--smoke-deadline-ms", "30000");
        expect(run.code).to.equal(1);
        expect(run.output).to.contain("s3 notification sp-local-region-a-builds -> arn:aws:lambda:us-east-1:000000000000:function:sp-local-regional-sync not deployed");
        expect(run.output).to.match(/FAIL +replication +POST \/builds .*host records for .* did not happen within 30 s/);
    });
});
