import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Synthesis } from "../../sandbox/synth";
import { PROJECT_DIR, synthesizeStack } from "../support/program";

/** The `aws:endpoints` key of the service a resource type talks to (module name unless the module spans services). */
function endpointServiceOf(type: string): string {
    const [, module, resource] = type.match(/^aws:([^/]+)\/([^:]+):/) ?? [];
    if (!module) {
        throw new Error(`not an AWS resource type: ${type}`);
    }
    if (module === "cloudwatch") {
        if (resource.startsWith("logGroup") || resource.startsWith("logStream") || resource.startsWith("logSubscription") || resource.startsWith("logResourcePolicy")) {
            return "logs";
        }
        if (resource.startsWith("event")) {
            return "events";
        }
    }
    return module;
}

function servicesUsed(synthesis: Synthesis): string[] {
    return [...new Set(synthesis.resources.filter(resource => resource.type.startsWith("aws:")).map(resource => endpointServiceOf(resource.type)))].sort();
}

const REPLICATION_OUTPUTS = [
    "buildsApiUrl", "stepFunctionApiUrl", "globalBuildsBucket", "regionalBuckets", "hostDeploymentTable",
    "buildQueueUrl", "buildDlqUrl", "fileCopyStateMachineArn", "fileCopyTrackingTable", "fileCopyFailureTopicArn",
];
const LOCAL_ONLY_FLAGS = ["aws:skipCredentialsValidation", "aws:skipRequestingAccountId", "aws:skipMetadataApiCheck", "aws:s3UsePathStyle"];

describe("whole program (index.ts under mocks)", () => {
    let local: Synthesis;
    let dev: Synthesis;

    before(() => {
        local = synthesizeStack("local");
        dev = synthesizeStack("dev");
    });

    it("local: every AWS service the program's resources use has a LocalStack endpoint", () => {
        const endpoints: Record<string, string> = JSON.parse(local.config["aws:endpoints"])[0];
        const used = servicesUsed(local);
        expect(used).to.include.members(["apigateway", "dynamodb", "iam", "lambda", "logs", "s3", "sfn", "sqs"]);
        expect(used.filter(service => !endpoints[service]), "services without a local endpoint").to.deep.equal([]);
        // getCallerIdentity (S3 permissions' sourceAccount) goes to STS.
        expect(endpoints.sts).to.equal("http://localhost:4566");
        expect(new Set(Object.values(endpoints))).to.deep.equal(new Set([local.config["serverless-pipelines:localEndpoint"]]));
    });

    it("local: test credentials, skip flags and S3 path style", () => {
        expect(local.config).to.include({ "aws:accessKey": "test", "aws:secretKey": "test", "serverless-pipelines:target": "local" });
        for (const flag of LOCAL_ONLY_FLAGS) {
            expect(local.config[flag], flag).to.equal("true");
        }
    });

    it("dev: plain AWS in ap-south-1, no endpoints, credentials or skip flags", () => {
        expect(dev.config["aws:region"]).to.equal("ap-south-1");
        expect(dev.config["serverless-pipelines:target"]).to.equal("aws");
        for (const key of ["aws:endpoints", "aws:accessKey", "aws:secretKey", ...LOCAL_ONLY_FLAGS]) {
            expect(dev.config, key).to.not.have.property(key);
        }
    });

    it("exports the replication outputs on both stacks", () => {
        for (const synthesis of [local, dev]) {
            for (const output of REPLICATION_OUTPUTS) {
                expect(synthesis.outputs[output], `${synthesis.stack} ${output}`).to.not.be.oneOf([undefined, null, ""]);
            }
            expect(Object.entries(synthesis.outputs).filter(([, value]) => value === undefined || value === null).map(([key]) => key),
                `${synthesis.stack} outputs without a value`).to.deep.equal([]);
        }
    });

    it("local: path-style API URLs on the endpoint, names without account suffix, small host count", () => {
        expect(local.outputs.buildsApiUrl).to.match(/^http:\/\/localhost:4566\/restapis\/[^/]+\/v1\/_user_request_$/);
        expect(local.outputs.stepFunctionApiUrl).to.match(/^http:\/\/localhost:4566\/restapis\/[^/]+\/v1\/_user_request_$/);
        expect(local.outputs.globalBuildsBucket).to.equal("sp-local-global-builds");
        expect(local.outputs.regionalBuckets).to.deep.equal({ "region-a": "sp-local-region-a-builds", "region-b": "sp-local-region-b-builds" });
        const sync = local.resources.find(resource => resource.type === "aws:lambda/function:Function" && resource.inputs.name === "sp-local-regional-sync");
        expect(sync?.inputs.environment.variables.HOSTS_PER_REGION).to.equal("100");
    });

    it("dev: stage invoke URLs and ARNs in ap-south-1, bucket names suffixed with the account, 1000 hosts", () => {
        expect(dev.outputs.buildsApiUrl).to.match(/^https:\/\/[^.]+\.execute-api\.ap-south-1\.amazonaws\.com\/v1$/);
        expect(dev.outputs.fileCopyStateMachineArn).to.match(/^arn:aws:states:ap-south-1:\d{12}:stateMachine:sp-dev-file-copy-workflow$/);
        expect(dev.outputs.globalBuildsBucket).to.match(/^sp-dev-global-builds-\d{12}$/);
        const sync = dev.resources.find(resource => resource.type === "aws:lambda/function:Function" && resource.inputs.name === "sp-dev-regional-sync");
        expect(sync?.inputs.environment.variables.HOSTS_PER_REGION).to.equal("1000");
    });
});

describe("whole program: pulumi destroy on each stack", () => {
    const bucketsOf = (stack: string) => synthesizeStack(stack).resources.filter(resource => resource.type === "aws:s3/bucket:Bucket");

    for (const stack of ["local", "dev", "staging"]) {
        it(`${stack}: every bucket is emptied on destroy, so destroy does not stop at BucketNotEmpty`, () => {
            const buckets = bucketsOf(stack);
            expect(buckets.length, `${stack} buckets`).to.be.above(3);
            expect(buckets.filter(bucket => bucket.inputs.forceDestroy !== true).map(bucket => bucket.name)).to.deep.equal([]);
        });
    }

    it("prod: no bucket is emptied on destroy", () => {
        const buckets = bucketsOf("prod");
        expect(buckets.length).to.be.above(3);
        expect(buckets.filter(bucket => bucket.inputs.forceDestroy !== false).map(bucket => bucket.name)).to.deep.equal([]);
    });

    it("prod: the program refuses forceDestroy and names the setting", () => {
        const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "synth-prod-")), "prod.json");
        const run = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(PROJECT_DIR, "sandbox/synth-cli.ts"), "prod", out,
            JSON.stringify({ "serverless-pipelines:forceDestroy": true })], { cwd: PROJECT_DIR, encoding: "utf8" });
        expect(run.status).to.not.equal(0);
        expect(run.stderr).to.include("serverless-pipelines:forceDestroy is true on stack prod");
        expect(fs.existsSync(out), "no synthesis written").to.equal(false);
    });
});
