import { expect } from "chai";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { ACCOUNT, credentials, functionResource, recorded, REGION, serve, TestSandbox } from "./sandbox-support";

const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const trustPolicy = (principal: Record<string, string>, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole", ...extra }] });
const role = (name: string, assumeRolePolicy: string, inputs: Record<string, unknown> = {}) =>
    recorded("aws:iam/role:Role", name, { assumeRolePolicy, ...inputs }, { name, arn: roleArn(name), uniqueId: `AROA${name.toUpperCase().replace(/-/g, "")}` });

/** A test function (not a product handler) that asks STS who it is with the credentials Lambda gave it. */
const WHO_AM_I = `const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");
exports.handler = async () => { const { UserId, Account, Arn } = await new STSClient({}).send(new GetCallerIdentityCommand({})); return { UserId, Account, Arn }; };`;

describe("sandbox identities: functions act as their role, sessions assume roles by trust policy", function () {
    this.timeout(60000);
    let sandbox: TestSandbox;
    let sts: (keys?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string }) => STSClient;

    before(async () => {
        sandbox = await serve(() => [
            role("worker-role", trustPolicy({ Service: "lambda.amazonaws.com" })),
            role("chained-role", trustPolicy({ AWS: roleArn("worker-role") }), { maxSessionDuration: 7200 }),
            role("conditional-role", trustPolicy({ AWS: roleArn("worker-role") }, { Condition: { StringEquals: { "sts:ExternalId": "secret" } } })),
            functionResource("who-am-i", WHO_AM_I, { role: roleArn("worker-role") }),
        ]);
        sts = keys => new STSClient({
            endpoint: sandbox.endpoint, region: REGION,
            credentials: keys ? { accessKeyId: keys.AccessKeyId!, secretAccessKey: keys.SecretAccessKey!, sessionToken: keys.SessionToken } : credentials,
        });
    });

    after(async () => {
        await sandbox?.close();
    });

    it("a function's GetCallerIdentity names its execution role, with the function's name as the session", async () => {
        const response = await fetch(`${sandbox.endpoint}/2015-03-31/functions/who-am-i/invocations`, { method: "POST", body: "{}" });
        expect(await response.json()).to.deep.equal({ UserId: "AROAWORKERROLE:who-am-i", Account: ACCOUNT, Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/worker-role/who-am-i` });
    });

    it("a session assumes a role whose trust policy names its role, within the one-hour limit of role chaining", async () => {
        const worker = await sts().send(new AssumeRoleCommand({ RoleArn: roleArn("worker-role"), RoleSessionName: "worker" }));
        const chained = await sts(worker.Credentials).send(new AssumeRoleCommand({ RoleArn: roleArn("chained-role"), RoleSessionName: "chain" }));
        expect(await sts(chained.Credentials).send(new GetCallerIdentityCommand({}))).to.deep.include({
            Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/chained-role/chain`, UserId: "AROACHAINEDROLE:chain", Account: ACCOUNT,
        });
        const tooLong = await sts(worker.Credentials).send(new AssumeRoleCommand({ RoleArn: roleArn("chained-role"), RoleSessionName: "chain", DurationSeconds: 7200 })).catch(error => error);
        expect([tooLong.name, tooLong.message]).to.deep.equal(["ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."]);
    });

    it("a session may not assume a role that trusts only a service, or only under a condition", async () => {
        const worker = await sts().send(new AssumeRoleCommand({ RoleArn: roleArn("worker-role"), RoleSessionName: "worker" }));
        for (const target of ["worker-role", "conditional-role"]) {
            const denied = await sts(worker.Credentials).send(new AssumeRoleCommand({ RoleArn: roleArn(target), RoleSessionName: "again", ExternalId: "secret" })).catch(error => error);
            expect([denied.name, denied.$metadata?.httpStatusCode, denied.message]).to.deep.equal([
                "AccessDenied", 403, `User: arn:aws:sts::${ACCOUNT}:assumed-role/worker-role/worker is not authorized to perform: sts:AssumeRole on resource: ${roleArn(target)}`,
            ]);
        }
    });
});
