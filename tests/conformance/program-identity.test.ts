import { expect } from "chai";
import { GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand, ListRolesCommand } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { RunningSandbox } from "../../sandbox/main";
import type { RecordedResource } from "../../sandbox/mock-cloud";
import { aws, awsAs, awsJson, awsJsonAs, requireAwsCli } from "./aws-cli";
import { programSandbox } from "./program-sandbox";

const ACCOUNT = "000000000000";
const ROOT = { UserId: ACCOUNT, Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:root` };
const TEST_KEYS = { accessKeyId: "test", secretAccessKey: "test" };

describe("acting as the program's roles and reading them back, as the AWS CLI and SDK v3 show them (sts, iam)", function () {
    this.timeout(240000);
    let sandbox: RunningSandbox;
    let endpoint: string;
    let roles: RecordedResource[];
    /** The order API handler's execution role: the one the examples use. */
    let apiRole: RecordedResource;
    const inlinePolicies = (roleName: string) => sandbox.resources.filter(resource => resource.type === "aws:iam/rolePolicy:RolePolicy" && resource.inputs.role === roleName);
    const policyName = (policy: RecordedResource): string => policy.state.name ?? policy.inputs.name ?? policy.name;

    before(async () => {
        requireAwsCli();
        sandbox = await programSandbox();
        endpoint = sandbox.endpoint;
        roles = sandbox.resources.filter(resource => resource.type === "aws:iam/role:Role");
        const apiHandler = sandbox.resources.find(resource => resource.type === "aws:lambda/function:Function" && resource.state.name.endsWith("-order-api-handler"))!;
        apiRole = roles.find(role => role.state.arn === apiHandler.inputs.role)!;
    });

    it("assume-role gives keys that act as the role (get-caller-identity); the default test keys act as the account root", async () => {
        const { name, arn, uniqueId } = apiRole.state;
        const assumed = await awsJson(endpoint, "sts", "assume-role", "--role-arn", arn, "--role-session-name", "cli-user", "--duration-seconds", "900");
        expect(assumed.AssumedRoleUser).to.deep.equal({ AssumedRoleId: `${uniqueId}:cli-user`, Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/cli-user` });
        expect(assumed.Credentials.AccessKeyId).to.match(/^ASIA[0-9A-Z]{16}$/);
        expect(Date.parse(assumed.Credentials.Expiration) - Date.now()).to.be.within(800_000, 900_000);
        expect(await awsJsonAs(assumed.Credentials, endpoint, "sts", "get-caller-identity")).to.deep.equal({ UserId: `${uniqueId}:cli-user`, Account: ACCOUNT, Arn: assumed.AssumedRoleUser.Arn });
        expect(await awsJson(endpoint, "sts", "get-caller-identity")).to.deep.equal(ROOT);
    });

    it("every role of the program can be assumed and its session answers to the role (SDK v3)", async () => {
        expect(roles).to.have.length.greaterThan(10);
        const sts = new STSClient({ endpoint, region: sandbox.region, credentials: TEST_KEYS });
        for (const role of roles) {
            const { Credentials } = await sts.send(new AssumeRoleCommand({ RoleArn: role.state.arn, RoleSessionName: "sdk-user" }));
            const session = new STSClient({ endpoint, region: sandbox.region, credentials: { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretAccessKey!, sessionToken: Credentials!.SessionToken } });
            expect((await session.send(new GetCallerIdentityCommand({}))).Arn).to.equal(`arn:aws:sts::${ACCOUNT}:assumed-role/${role.state.name}/sdk-user`);
        }
    });

    it("refuses what STS refuses: an unknown role, a bad session name, a longer session than the role allows, a role its trust policy does not name", async () => {
        const { arn } = apiRole.state;
        const unknown = await aws(endpoint, "sts", "assume-role", "--role-arn", `arn:aws:iam::${ACCOUNT}:role/no-such-role`, "--role-session-name", "cli-user");
        expect([unknown.code, unknown.stderr.trim()]).to.deep.equal([254, `An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:iam::${ACCOUNT}:root is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${ACCOUNT}:role/no-such-role`]);
        const badName = await aws(endpoint, "sts", "assume-role", "--role-arn", arn, "--role-session-name", "two words");
        expect(badName.stderr.trim()).to.equal("An error occurred (ValidationError) when calling the AssumeRole operation: 1 validation error detected: Value 'two words' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*");
        const tooLong = await aws(endpoint, "sts", "assume-role", "--role-arn", arn, "--role-session-name", "cli-user", "--duration-seconds", "7200");
        expect(tooLong.stderr.trim()).to.equal("An error occurred (ValidationError) when calling the AssumeRole operation: The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
        // The program's roles trust only AWS services, so one role's session may not assume another.
        const other = roles.find(role => role !== apiRole)!.state.arn;
        const session = (await awsJson(endpoint, "sts", "assume-role", "--role-arn", arn, "--role-session-name", "cli-user")).Credentials;
        const chained = await awsAs(session, endpoint, "sts", "assume-role", "--role-arn", other, "--role-session-name", "cli-user");
        expect(chained.stderr.trim()).to.equal(`An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:sts::${ACCOUNT}:assumed-role/${apiRole.state.name}/cli-user is not authorized to perform: sts:AssumeRole on resource: ${other}`);
    });

    it("iam list-roles shows every role of the program with its trust policy, across pages", async () => {
        const { Roles } = await awsJson(endpoint, "iam", "list-roles", "--page-size", "7");
        // IAM documents no order for ListRoles, so the roles are compared as a set (each exactly once).
        expect(Roles.map((role: any) => role.RoleName).sort()).to.deep.equal(roles.map(role => role.state.name).sort());
        for (const role of roles) {
            expect(Roles.find((listed: any) => listed.RoleName === role.state.name)).to.deep.include({
                Path: "/", RoleId: role.state.uniqueId, Arn: role.state.arn, Description: role.inputs.description, MaxSessionDuration: 3600,
                AssumeRolePolicyDocument: JSON.parse(role.inputs.assumeRolePolicy),
            });
        }
    });

    it("get-role, list-role-policies and get-role-policy print what the program deployed; unknown names are NoSuchEntity", async () => {
        const { name } = apiRole.state;
        const { Role } = await awsJson(endpoint, "iam", "get-role", "--role-name", name);
        expect(Role).to.deep.include({ RoleName: name, Arn: apiRole.state.arn, AssumeRolePolicyDocument: JSON.parse(apiRole.inputs.assumeRolePolicy) });
        expect(Role.CreateDate).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
        const deployed = inlinePolicies(name);
        expect(deployed).to.have.length(1);
        expect(await awsJson(endpoint, "iam", "list-role-policies", "--role-name", name)).to.deep.equal({ PolicyNames: [policyName(deployed[0])] });
        expect(await awsJson(endpoint, "iam", "get-role-policy", "--role-name", name, "--policy-name", policyName(deployed[0]))).to.deep.equal({
            RoleName: name, PolicyName: policyName(deployed[0]), PolicyDocument: JSON.parse(deployed[0].inputs.policy),
        });
        const noRole = await aws(endpoint, "iam", "get-role", "--role-name", "no-such-role");
        expect([noRole.code, noRole.stderr.trim()]).to.deep.equal([254, "An error occurred (NoSuchEntity) when calling the GetRole operation: The role with name no-such-role cannot be found."]);
        const noPolicy = await aws(endpoint, "iam", "get-role-policy", "--role-name", name, "--policy-name", "no-such-policy");
        expect(noPolicy.stderr.trim()).to.equal("An error occurred (NoSuchEntity) when calling the GetRolePolicy operation: The role policy with name no-such-policy cannot be found.");
    });

    it("SDK v3 receives every inline policy URL-encoded as IAM sends it, and role pages joined by Marker (SDK v3)", async () => {
        const iam = new IAMClient({ endpoint, region: sandbox.region, credentials: TEST_KEYS });
        const listed: string[] = [];
        for (let marker: string | undefined, pages = 0; pages === 0 || marker; pages++) {
            const page = await iam.send(new ListRolesCommand({ MaxItems: 7, Marker: marker }));
            expect(page.Roles).to.have.length.at.most(7);
            expect(page.IsTruncated).to.equal(page.Marker !== undefined);
            listed.push(...page.Roles!.map(role => role.RoleName!));
            marker = page.Marker;
        }
        expect(listed.sort()).to.deep.equal(roles.map(role => role.state.name).sort());
        for (const role of roles) {
            const { PolicyNames } = await iam.send(new ListRolePoliciesCommand({ RoleName: role.state.name }));
            expect(PolicyNames).to.deep.equal(inlinePolicies(role.state.name).map(policyName).sort());
            for (const policy of inlinePolicies(role.state.name)) {
                const { PolicyDocument } = await iam.send(new GetRolePolicyCommand({ RoleName: role.state.name, PolicyName: policyName(policy) }));
                expect(PolicyDocument).to.not.match(/[{}":\s]/);
                expect(decodeURIComponent(PolicyDocument!)).to.equal(policy.inputs.policy);
            }
        }
    });
});
