import { expect } from "chai";
import { LambdaFunction } from "../../components/shared/lambda-function";
import { archiveSize } from "../../sandbox/archive";
import { loadArchiveHandler } from "../support/archive";
import { PROJECT_DIR } from "../support/program";
import { archiveOf, one, promiseOf, resourcesUnder, statementsOfRole } from "../support/pulumi";

function echoFactory() {
    const { S3Client } = require("@aws-sdk/client-s3");
    const superstruct = require("superstruct");
    const client = new S3Client({});
    const schema = superstruct.object({ name: superstruct.string() });
    return async (event: unknown) => {
        const [error, value] = superstruct.validate(event, schema);
        return { valid: !error, value, region: typeof client.config.region };
    };
}

describe("shared LambdaFunction", () => {
    const platform = { namePrefix: "unit", local: false };
    let fn: LambdaFunction;

    before(async () => {
        fn = new LambdaFunction("lf-echo", {
            platform,
            functionName: "echo",
            handlerFactory: echoFactory,
            environment: { TABLE_NAME: "t" },
            statements: [{ sid: "ReadThings", actions: ["s3:GetObject"], resources: ["arn:aws:s3:::things/*"] }],
            runtimePackages: ["superstruct"],
        });
        await promiseOf(fn.arn);
    });

    it("deploys nodejs22.x with the physical name, env, defaults and X-Ray outside local", async () => {
        const resources = await resourcesUnder("lf-echo");
        const lambda = one(resources, "aws:lambda/function:Function");
        expect(lambda.inputs).to.include({ name: "unit-echo", runtime: "nodejs22.x", timeout: 30, memorySize: 256 });
        expect(lambda.inputs.environment.variables).to.deep.equal({ TABLE_NAME: "t" });
        expect(lambda.inputs.tracingConfig).to.deep.equal({ mode: "Active" });
    });

    it("gets a log group with retention named as Lambda expects", async () => {
        const resources = await resourcesUnder("lf-echo");
        expect(one(resources, "aws:cloudwatch/logGroup:LogGroup").inputs).to.include({ name: "/aws/lambda/unit-echo", retentionInDays: 14 });
    });

    it("runs as its own role holding only the declared statements plus its log stream and traces", async () => {
        const resources = await resourcesUnder("lf-echo");
        const lambda = one(resources, "aws:lambda/function:Function");
        const statements = statementsOfRole(resources, lambda.inputs.role);
        expect(statements.map(s => [s.Sid, s.Action, s.Resource])).to.deep.equal([
            ["WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/unit-echo:*"]],
            ["ReadThings", ["s3:GetObject"], ["arn:aws:s3:::things/*"]],
            ["WriteTraces", ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], ["*"]],
        ]);
        expect(resources.filter(r => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment")).to.have.length(0);
    });

    it("packs the handler and only the traced runtime files of declared packages", async () => {
        const archive = archiveOf(one(await resourcesUnder("lf-echo"), "aws:lambda/function:Function"));
        expect(Object.keys(archive)).to.have.members(["__index.js", "node_modules/superstruct/dist/index.cjs", "node_modules/superstruct/package.json"]);
        expect(archiveSize(PROJECT_DIR, archive)).to.be.below(64 * 1024);
    });

    it("loads and runs from its archive alone", async () => {
        const archive = archiveOf(one(await resourcesUnder("lf-echo"), "aws:lambda/function:Function"));
        const handler = loadArchiveHandler(archive);
        expect(await handler({ name: "x" })).to.deep.include({ valid: true, value: { name: "x" } });
        expect(await handler({ name: 1 })).to.deep.include({ valid: false });
    });

    it("refuses wildcard actions", () => {
        expect(() => new LambdaFunction("lf-wild", {
            platform, functionName: "wild", handlerFactory: echoFactory,
            statements: [{ actions: ["s3:*"], resources: ["*"] }],
        })).to.throw(/wildcard action s3:\*/);
    });
});
