import { expect } from "chai";
import { execFile, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { useLocalTarget } from "../../scripts/smoke-target";
import { PROJECT_DIR, REGION, runSmokeCli } from "./sandbox-support";

const MAIN = path.join(PROJECT_DIR, "sandbox/main.ts");

interface Run { code: number; output: string }

/** `npm start -- --once` in its own process (synthesis loads index.ts once per process), on a free port. */
function startOnce(...extra: string[]): Promise<Run> {
    return new Promise(resolve => {
        execFile(process.execPath, ["-r", "ts-node/register/transpile-only", MAIN, "--once", "--port", "0", ...extra],
            { cwd: PROJECT_DIR, maxBuffer: 64 * 1024 * 1024 },
            (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}\n${stderr}` }));
    });
}

interface ServingSandbox { endpoint: string; output(): string; stop(): Promise<void> }

/** `npm start -- --port 0 --outputs <file> --iam-report <file>` in its own process, resolved once it serves after its own smoke test. */
function serve(outputsFile: string, iamReportFile: string): Promise<ServingSandbox> {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", MAIN, "--port", "0", "--outputs", outputsFile, "--iam-report", iamReportFile], { cwd: PROJECT_DIR });
    let output = "";
    const exited = new Promise<void>(resolve => child.once("exit", () => resolve()));
    return new Promise((resolve, reject) => {
        child.stderr.on("data", chunk => { output += chunk; });
        child.stdout.on("data", chunk => {
            output += chunk;
            const ready = /sandbox ready at (\S+)[\s\S]*serving until Ctrl-C/.exec(output);
            if (ready) {
                resolve({ endpoint: ready[1], output: () => output, stop: async () => { child.kill("SIGINT"); await exited; } });
            }
        });
        void exited.then(() => reject(new Error(`npm start exited before serving:\n${output}`)));
    });
}

describe("sandbox: the real program end to end", function () {
    this.timeout(240000);

    describe("served by npm start -- --outputs <file>", () => {
        const outputsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-outputs-")), "outputs.json");
        const iamReportFile = path.join(path.dirname(outputsFile), "iam-report.json");
        let sandbox: ServingSandbox | undefined;

        before(async () => {
            sandbox = await serve(outputsFile, iamReportFile);
        });

        after(async () => {
            await sandbox?.stop();
            fs.rmSync(path.dirname(outputsFile), { recursive: true, force: true });
        });

        it("writes every program output as `pulumi stack output --json` does, then passes its own smoke test", () => {
            const outputs = JSON.parse(fs.readFileSync(outputsFile, "utf8"));
            const exported = [...fs.readFileSync(path.join(PROJECT_DIR, "index.ts"), "utf8").matchAll(/^export const (\w+)/gm)].map(match => match[1]);
            expect(Object.keys(outputs)).to.have.members(exported);
            expect(outputs).to.include({ globalBuildsBucket: "sp-local-global-builds", hostsPerRegion: 100 });
            expect(outputs.orderApiUrl.startsWith(`${sandbox!.endpoint}/restapis/`), outputs.orderApiUrl).to.equal(true);
            const output = sandbox!.output();
            expect(output, output.split("\n").filter(line => /^(FAIL|smoke)/.test(line)).join("\n")).to.contain("smoke test passed");
            expect(output.indexOf(`stack outputs written to ${outputsFile}`)).to.be.lessThan(output.indexOf("smoke test passed"));
        });

        it("writes the IAM report after its smoke test: each role's calls allowed by its own statements, a grant the smoke never needs a finding", () => {
            const report = JSON.parse(fs.readFileSync(iamReportFile, "utf8"));
            expect(report.mode).to.equal("enforce");
            const roles = report.principals.filter((entry: { kind: string }) => entry.kind === "role");
            expect(roles).to.have.length(20);
            const apiHandler = roles.find((entry: { principal: string }) => entry.principal.includes(":role/orders-api-handler-role-"));
            expect(apiHandler.used.map((use: { action: string }) => use.action)).to.include.members(["dynamodb:PutItem", "states:StartExecution"]);
            expect(apiHandler.used.every((use: { allowedBy: string[] }) => use.allowedBy.length > 0 && use.allowedBy.every(grant => grant.startsWith("orders-api-handler-policy/")))).to.equal(true);
            // The handler marks an order FAILED only when its workflow cannot start, which the smoke never makes happen.
            expect(apiHandler.findings.map((finding: { statement: string; action: string }) => `${finding.statement} ${finding.action}`)).to.include("orders-api-handler-policy/FailUnstartedOrder dynamodb:UpdateItem");
        });

        it("npm run smoke -- --outputs <file> against it: one line per check, all passed, exit 0", async () => {
            const run = await runSmokeCli(["--outputs", outputsFile], useLocalTarget({ ...process.env }, sandbox!.endpoint, REGION));
            const checks = run.stdout.split("\n").filter(line => /^(PASS|FAIL) /.test(line));
            expect(checks.filter(line => line.startsWith("FAIL")), run.stdout + run.stderr).to.deep.equal([]);
            expect(run.stdout).to.contain(`\n${checks.length} passed, 0 failed\n`);
            expect(new Set(checks.map(line => line.split(/\s+/)[1]))).to.deep.equal(new Set(["replication", "file-copy", "orders", "events"]));
            for (const line of checks) {
                expect(line).to.match(/ \d+\.\ds /);
            }
            expect(run.code).to.equal(0);
        });
    });

    it("fails the smoke test, naming what did not happen, when one bucket's invoke permission is missing", async () => {
        const run = await startOnce("--without", "replication-region-a-builds-invoke", "--smoke-deadline-ms", "30000");
        expect(run.code).to.equal(1);
        expect(run.output).to.contain("s3 notification sp-local-region-a-builds -> arn:aws:lambda:us-east-1:000000000000:function:sp-local-regional-sync not deployed");
        expect(run.output).to.match(/FAIL +replication +POST \/builds .*host records for .* did not happen within 30 s/);
    });
});
