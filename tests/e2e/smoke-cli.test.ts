import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { useLocalTarget } from "../../scripts/smoke-target";
import { PROJECT_DIR, REGION, runSmokeCli } from "./sandbox-support";

/** The `local` stack's outputs as `pulumi stack output --json` prints them, every URL at `endpoint`. */
function localOutputsAt(endpoint: string): Record<string, unknown> {
    const api = (id: string) => `${endpoint}/restapis/${id}/v1/_user_request_`;
    return {
        buildsApiUrl: api("a1b2c3d4e5"), stepFunctionApiUrl: api("b2c3d4e5f6"), orderApiUrl: api("c3d4e5f6a7"), eventApiUrl: api("d4e5f6a7b8"),
        globalBuildsBucket: "sp-local-global-builds", regionalBuckets: { "region-a": "sp-local-region-a-builds", "region-b": "sp-local-region-b-builds" },
        hostsPerRegion: 100, hostDeploymentTable: "sp-local-host-deployment-logs",
        fileCopyStateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:sp-local-file-copy-workflow",
        fileCopyTrackingTable: "sp-local-file-copy-tracking", eventBucket: "sp-local-event-bucket", eventsTable: "sp-local-events",
    };
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "smoke-cli-"));

function writeOutputs(outputs: Record<string, unknown>): string {
    const file = path.join(fs.mkdtempSync(path.join(scratch, "outputs-")), "outputs.json");
    fs.writeFileSync(file, JSON.stringify(outputs, null, 2));
    return file;
}

/** A local port nothing listens on: bound once to get a free one, then closed. */
async function closedPortEndpoint(): Promise<string> {
    const server = net.createServer();
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise(resolve => server.close(resolve));
    return `http://127.0.0.1:${port}`;
}

const checkLines = (stdout: string) => stdout.split("\n").filter(line => /^(PASS|FAIL) /.test(line));

describe("smoke CLI", () => {
    after(() => fs.rmSync(scratch, { recursive: true, force: true }));

    describe("what it does when it cannot check", function () {
        // The bound for a dead target; without the pre-flight every check would wait out its 120 s deadline.
        this.timeout(60000);

        it("exits 2 without running a check, naming the endpoint, when nothing listens there", async () => {
            const endpoint = await closedPortEndpoint();
            const run = await runSmokeCli(["--outputs", writeOutputs(localOutputsAt(endpoint))], useLocalTarget({ ...process.env }, endpoint, REGION));
            expect(run.stderr).to.contain(`no answer at endpoint ${endpoint}, region us-east-1 to these calls, so no check was run`);
            expect(run.stderr).to.contain("S3 HeadBucket sp-local-global-builds: connect ECONNREFUSED");
            expect(run.stderr).to.contain(`GET ${endpoint}/restapis/c3d4e5f6a7/v1/_user_request_: TypeError: fetch failed (connect ECONNREFUSED`);
            expect(checkLines(run.stdout)).to.deep.equal([]);
            expect(run.code).to.equal(2);
        });

        it("exits 2 without running a check when the endpoint accepts connections but never answers", async () => {
            const silent = new Set<net.Socket>();
            const server = net.createServer(socket => silent.add(socket));
            await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
            const endpoint = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
            try {
                const run = await runSmokeCli(["--outputs", writeOutputs(localOutputsAt(endpoint))], useLocalTarget({ ...process.env }, endpoint, REGION));
                expect(run.stderr).to.contain("DynamoDB DescribeTable sp-local-events: no answer within 10 s");
                expect(run.stderr).to.contain(`GET ${endpoint}/restapis/a1b2c3d4e5/v1/_user_request_: no answer within 10 s`);
                expect(checkLines(run.stdout)).to.deep.equal([]);
                expect(run.code).to.equal(2);
            } finally {
                silent.forEach(socket => socket.destroy());
                await new Promise(resolve => server.close(resolve));
            }
        });

        it("exits 2 naming each missing or malformed output", async () => {
            const endpoint = await closedPortEndpoint();
            const outputs = localOutputsAt(endpoint);
            delete outputs.orderApiUrl;
            const run = await runSmokeCli(["--outputs", writeOutputs({ ...outputs, hostsPerRegion: "100" })], useLocalTarget({ ...process.env }, endpoint, REGION));
            expect(run.stderr).to.contain("stack outputs cannot be smoke-tested: orderApiUrl is missing; hostsPerRegion: Expected an integer");
            expect(checkLines(run.stdout)).to.deep.equal([]);
            expect(run.code).to.equal(2);
        });
    });

    describe("npm run smoke:local (pulumi-local.sh smoke)", () => {
        it("gives the smoke LocalStack's endpoint, the stack's region and test keys, and none of the caller's AWS settings", () => {
            // A copy of the script in a scratch project, with stand-ins for docker, pulumi and npm that record what they get.
            const root = fs.mkdtempSync(path.join(scratch, "project-"));
            const bin = path.join(root, "bin");
            fs.mkdirSync(path.join(root, "scripts"));
            fs.mkdirSync(bin);
            fs.copyFileSync(path.join(PROJECT_DIR, "scripts/pulumi-local.sh"), path.join(root, "scripts/pulumi-local.sh"));
            const stub = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
            stub("docker", "exit 0");
            stub("pulumi", `case "$*" in\n  "stack output"*) echo '{"globalBuildsBucket": "sp-local-global-builds"}' ;;\n  "config get aws:region"*) echo us-east-1 ;;\nesac`);
            stub("npm", `{ echo "$*"; env | grep '^AWS_' | sort; } > "${root}/npm-call"`);
            const result = spawnSync("bash", [path.join(root, "scripts/pulumi-local.sh"), "smoke"], {
                encoding: "utf8",
                env: {
                    PATH: `${bin}:${process.env.PATH}`, HOME: root,
                    AWS_PROFILE: "production", AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                    AWS_SESSION_TOKEN: "session", AWS_REGION: "eu-west-1", AWS_ENDPOINT_URL_S3: "https://s3.eu-west-1.amazonaws.com",
                    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "true", AWS_CONFIG_FILE: path.join(root, ".aws/config"),
                },
            });
            expect(result.status, result.stderr).to.equal(0);
            const outputsFile = path.join(root, ".pulumi-local/outputs.json");
            expect(JSON.parse(fs.readFileSync(outputsFile, "utf8"))).to.deep.equal({ globalBuildsBucket: "sp-local-global-builds" });
            expect(fs.readFileSync(path.join(root, "npm-call"), "utf8").trim().split("\n")).to.deep.equal([
                `run --silent smoke -- --outputs ${outputsFile}`,
                "AWS_ACCESS_KEY_ID=test",
                "AWS_CONFIG_FILE=/dev/null",
                "AWS_ENDPOINT_URL=http://localhost:4566",
                "AWS_REGION=us-east-1",
                "AWS_SECRET_ACCESS_KEY=test",
                "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
            ]);
        });
    });
});
