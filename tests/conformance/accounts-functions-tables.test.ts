import { expect } from "chai";
import { mkdtempSync, readFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { functionResource, recorded, serve, TestSandbox } from "../e2e/sandbox-support";
import { aws, awsJson, requireAwsCli } from "./aws-cli";

describe("STS, Lambda and DynamoDB as the AWS CLI sees them", function () {
    this.timeout(120000);
    let sandbox: TestSandbox;
    let endpoint: string;

    before(async () => {
        requireAwsCli();
        sandbox = await serve(() => [
            functionResource("greeter", `exports.handler = async event => ({ greeting: "hello " + event.name });`, { runtime: "nodejs22.x", timeout: 7, environment: { variables: { STAGE: "test" } } }),
            recorded("aws:dynamodb/table:Table", "builds", { name: "builds", hashKey: "build_id", rangeKey: "host_id", attributes: [{ name: "build_id", type: "S" }, { name: "host_id", type: "S" }], billingMode: "PAY_PER_REQUEST" }),
        ]);
        endpoint = sandbox.endpoint;
    });

    after(async () => {
        await sandbox?.close();
    });

    it("names the sandbox's account (sts get-caller-identity)", async () => {
        expect(await awsJson(endpoint, "sts", "get-caller-identity")).to.deep.equal({ UserId: "000000000000", Account: "000000000000", Arn: "arn:aws:iam::000000000000:root" });
    });

    it("lists deployed functions with their settings and invokes one (lambda list-functions, invoke)", async () => {
        const { Functions } = await awsJson(endpoint, "lambda", "list-functions");
        expect(Functions.map((fn: any) => fn.FunctionName)).to.deep.equal(["greeter"]);
        expect(Functions[0]).to.deep.include({ FunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:greeter", Runtime: "nodejs22.x", Timeout: 7, Environment: { Variables: { STAGE: "test" } } });
        const out = path.join(mkdtempSync(path.join(tmpdir(), "lambda-cli-")), "out.json");
        const invoked = await awsJson(endpoint, "lambda", "invoke", "--function-name", "greeter", "--cli-binary-format", "raw-in-base64-out", "--payload", JSON.stringify({ name: "sandbox" }), out);
        expect(invoked).to.deep.equal({ StatusCode: 200, ExecutedVersion: "$LATEST" });
        expect(JSON.parse(readFileSync(out, "utf8"))).to.deep.equal({ greeting: "hello sandbox" });
        const missing = await aws(endpoint, "lambda", "invoke", "--function-name", "nope", out);
        expect(missing.stderr).to.contain("ResourceNotFoundException");
    });

    it("puts, gets, queries and scans items (dynamodb)", async () => {
        for (const host of ["h-1", "h-2"]) {
            await awsJson(endpoint, "dynamodb", "put-item", "--table-name", "builds", "--item", JSON.stringify({ build_id: { S: "b-1" }, host_id: { S: host }, status: { S: "DEPLOYED" } }));
        }
        const item = await awsJson(endpoint, "dynamodb", "get-item", "--table-name", "builds", "--key", JSON.stringify({ build_id: { S: "b-1" }, host_id: { S: "h-2" } }));
        expect(item.Item).to.deep.equal({ build_id: { S: "b-1" }, host_id: { S: "h-2" }, status: { S: "DEPLOYED" } });
        const queried = await awsJson(endpoint, "dynamodb", "query", "--table-name", "builds", "--key-condition-expression", "build_id = :b", "--expression-attribute-values", JSON.stringify({ ":b": { S: "b-1" } }));
        expect([queried.Count, queried.Items.map((entry: any) => entry.host_id.S)]).to.deep.equal([2, ["h-1", "h-2"]]);
        expect((await awsJson(endpoint, "dynamodb", "scan", "--table-name", "builds", "--select", "COUNT")).Count).to.equal(2);
    });
});
