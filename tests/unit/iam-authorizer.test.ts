import { expect } from "chai";
import type { SandboxLog } from "../../sandbox/cloud";
import { AccessDeniedError, Authorizer, IamMode } from "../../sandbox/iam/authorizer";
import { deniedResponse, serviceDenial } from "../../sandbox/iam/denials";
import { Identities, Principal } from "../../sandbox/iam/identity";
import { DeployedPolicies } from "../../sandbox/iam/policies";
import { iamReport } from "../../sandbox/iam/report";
import type { RecordedResource } from "../../sandbox/mock-cloud";
import { synthesizeStack } from "../support/program";

const ACCOUNT = "000000000000";
const REGION = "us-east-1";
const TABLE = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders`;
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:alerts`;
const QUEUE = `arn:aws:sqs:${REGION}:${ACCOUNT}:work`;
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234`;
const BUCKET = "arn:aws:s3:::uploads";

function resource(type: string, name: string, inputs: Record<string, any>, state: Record<string, any> = {}): RecordedResource {
    return { type, name, urn: `urn:${name}`, id: name, inputs, state: { ...inputs, ...state } };
}

function policy(...statements: Record<string, unknown>[]): string {
    return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

const denyWithoutTls = (action: string, arn: string) => ({ Sid: "DenyWithoutTls", Effect: "Deny", Principal: "*", Action: action, Resource: arn, Condition: { Bool: { "aws:SecureTransport": "false" } } });

/** A small program: a writer role, an encrypted topic with a TLS-only policy, a queue the topic delivers to, a bucket with a TLS-only policy. */
function program(keyPolicy = policy({ Sid: "Root", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" })): RecordedResource[] {
    return [
        resource("aws:iam/role:Role", "writer-role", { assumeRolePolicy: "{}" }, { name: "writer-role-abc", arn: `arn:aws:iam::${ACCOUNT}:role/writer-role-abc`, uniqueId: "AROA1" }),
        resource("aws:iam/rolePolicy:RolePolicy", "writer-policy", {
            role: "writer-role-abc",
            policy: policy(
                { Sid: "StoreOrders", Effect: "Allow", Action: ["dynamodb:PutItem", "dynamodb:GetItem"], Resource: [TABLE] },
                { Sid: "PublishAlerts", Effect: "Allow", Action: ["sns:Publish"], Resource: [TOPIC] },
                { Sid: "EncryptForTopic", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: [KEY] },
            ),
        }, { name: "writer-policy" }),
        resource("aws:kms/key:Key", "key", { policy: keyPolicy }, { arn: KEY, keyId: "1234" }),
        resource("aws:sns/topic:Topic", "alerts", { kmsMasterKeyId: KEY }, { arn: TOPIC }),
        resource("aws:sns/topicPolicy:TopicPolicy", "alerts-policy", { arn: TOPIC, policy: policy(denyWithoutTls("sns:Publish", TOPIC)) }),
        resource("aws:sqs/queue:Queue", "work", {}, { arn: QUEUE, url: `http://localhost/${ACCOUNT}/work` }),
        resource("aws:sqs/queuePolicy:QueuePolicy", "work-policy", {
            queueUrl: `http://localhost/${ACCOUNT}/work`,
            policy: policy({ Sid: "TopicDelivers", Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage", Resource: QUEUE, Condition: { ArnEquals: { "aws:SourceArn": TOPIC } } }),
        }),
        resource("aws:s3/bucketPolicy:BucketPolicy", "uploads-policy", { bucket: "uploads", policy: policy(denyWithoutTls("s3:*", `${BUCKET}/*`)) }),
    ];
}

interface Setup { authorizer: Authorizer; identities: Identities; writer: Principal; logged: string[] }

function setup(options: { mode?: IamMode; withoutStatements?: string[]; resources?: RecordedResource[] } = {}): Setup {
    const resources = options.resources ?? program();
    const identities = new Identities(ACCOUNT, resources);
    const logged: string[] = [];
    const log: SandboxLog = event => logged.push(`${event.kind} ${event.message}`);
    const authorizer = new Authorizer(options.mode ?? "enforce", new DeployedPolicies(identities, resources, options.withoutStatements), { region: REGION, accountId: ACCOUNT }, log);
    return { authorizer, identities, writer: identities.actingAs("writer-role-abc", "writer"), logged };
}

async function denial(call: Promise<void>): Promise<AccessDeniedError> {
    const error = await call.then(() => undefined, (caught: unknown) => caught);
    expect(error, "the call was allowed").to.be.instanceOf(AccessDeniedError);
    return error as AccessDeniedError;
}

describe("IAM authorizer", () => {
    it("allows what a role's identity policy grants and denies the rest in AWS's words, logging the statement that would allow it", async () => {
        const { authorizer, writer, logged } = setup();
        await authorizer.authorize(writer, "dynamodb", "PutItem", { TableName: "orders" });
        const denied = await denial(authorizer.authorize(writer, "dynamodb", "DeleteItem", { TableName: "orders" }));
        expect(denied.message).to.equal(`User: arn:aws:sts::${ACCOUNT}:assumed-role/writer-role-abc/writer is not authorized to perform: dynamodb:DeleteItem on resource: ${TABLE} because no identity-based policy allows the dynamodb:DeleteItem action`);
        expect(logged).to.have.length(1);
        expect(logged[0]).to.contain("dynamodb:DeleteItem").and.contain(TABLE).and.contain(`{"Effect":"Allow","Action":"dynamodb:DeleteItem","Resource":"${TABLE}"}`);
    });

    it("checks each item of a transaction and each table of a batch as its own action", async () => {
        const { authorizer, writer } = setup();
        await authorizer.authorize(writer, "dynamodb", "TransactWriteItems", { TransactItems: [{ Put: { TableName: "orders" } }] });
        const denied = await denial(authorizer.authorize(writer, "dynamodb", "TransactWriteItems", { TransactItems: [{ Put: { TableName: "orders" } }, { Update: { TableName: "orders" } }] }));
        expect(denied.action).to.equal("dynamodb:UpdateItem");
        expect((await denial(authorizer.authorize(writer, "dynamodb", "BatchWriteItem", { RequestItems: { orders: [] } }))).action).to.equal("dynamodb:BatchWriteItem");
    });

    it("lets the account root do anything, except what a resource policy denies explicitly: a publish without TLS", async () => {
        const { authorizer, identities } = setup();
        await authorizer.authorize(identities.root(), "sns", "Publish", { TopicArn: TOPIC });
        await authorizer.authorize(identities.root(), "s3", "PutObject", { Bucket: "uploads", Key: "a.txt" });
        const denied = await denial(authorizer.authorize(identities.root(), "sns", "Publish", { TopicArn: TOPIC }, { secureTransport: false }));
        expect(denied.message).to.contain("sns:Publish").and.contain("with an explicit deny in a resource-based policy");
        expect((await denial(authorizer.authorize(identities.root(), "s3", "GetObject", { Bucket: "uploads", Key: "a.txt" }, { secureTransport: false }))).action).to.equal("s3:GetObject");
    });

    it("judges a service principal by the resource policy alone, aws:SourceArn included", async () => {
        const { authorizer, identities } = setup();
        const sns = identities.service("sns.amazonaws.com");
        await authorizer.authorize(sns, "sqs", "SendMessage", { QueueUrl: QUEUE }, { sourceArn: TOPIC, sourceAccount: ACCOUNT });
        const denied = await denial(authorizer.authorize(sns, "sqs", "SendMessage", { QueueUrl: QUEUE }, { sourceArn: `${TOPIC}-other`, sourceAccount: ACCOUNT }));
        expect(denied.message).to.contain("because no resource-based policy allows the sqs:SendMessage action");
        expect(await authorizer.delivers(identities.service("s3.amazonaws.com"), BUCKET, { service: "sqs", operation: "SendMessage", input: { QueueUrl: QUEUE } })).to.equal(false);
    });

    it("needs the topic's KMS key for a publish, which the key policy must allow: an identity grant alone does not do", async () => {
        const allowed = setup();
        await allowed.authorizer.authorize(allowed.writer, "sns", "Publish", { TopicArn: TOPIC });
        const { authorizer, writer } = setup({ resources: program(policy({ Sid: "OnlyAdmins", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/admin` }, Action: "kms:*", Resource: "*" })) });
        const denied = await denial(authorizer.authorize(writer, "sns", "Publish", { TopicArn: TOPIC }));
        expect(denied.action).to.equal("kms:GenerateDataKey");
        expect(denied.resource).to.equal(KEY);
        const answered = serviceDenial("sns", denied);
        expect([answered.code, answered.status]).to.deep.equal(["KMSAccessDenied", 400]);
    });

    it("leaves out a statement a test names by role and Sid, and names it as what would allow the denied call", async () => {
        const { authorizer, writer, logged } = setup({ withoutStatements: ["writer-role/StoreOrders"] });
        const denied = await denial(authorizer.authorize(writer, "dynamodb", "PutItem", { TableName: "orders" }));
        expect(denied.message).to.contain("dynamodb:PutItem");
        expect(logged.join("\n")).to.contain("statement writer-role/StoreOrders (removed by --without-statement)");
        await authorizer.authorize(writer, "sns", "Publish", { TopicArn: TOPIC });
        expect(() => setup({ withoutStatements: ["writer-role/NoSuchSid"] })).to.throw("writer-role/NoSuchSid");
    });

    it("in warn mode logs a denial and lets the call run; off evaluates nothing", async () => {
        const warn = setup({ mode: "warn" });
        await warn.authorizer.authorize(warn.writer, "dynamodb", "DeleteItem", { TableName: "orders" });
        expect(warn.logged.join("\n")).to.contain("would deny").and.contain("dynamodb:DeleteItem");
        const off = setup({ mode: "off" });
        await off.authorizer.authorize(off.writer, "dynamodb", "DeleteItem", { TableName: "orders" });
        expect(off.logged).to.deep.equal([]);
    });

    it("answers a denial as each service does on AWS", async () => {
        const { authorizer, writer } = setup();
        const denied = await denial(authorizer.authorize(writer, "s3", "GetObject", { Bucket: "uploads", Key: "a.txt" }));
        const expected: Record<string, [string, number]> = {
            s3: ["AccessDenied", 403], sqs: ["AccessDenied", 403], sns: ["AuthorizationError", 403], dynamodb: ["AccessDeniedException", 400],
            states: ["AccessDeniedException", 400], events: ["AccessDeniedException", 400], lambda: ["AccessDeniedException", 403],
        };
        for (const [service, [code, status]] of Object.entries(expected)) {
            const error = serviceDenial(service, denied);
            expect([error.code, error.status], service).to.deep.equal([code, status]);
        }
        const s3 = deniedResponse("s3", "GET", denied);
        expect(s3.status).to.equal(403);
        expect(String(s3.body)).to.match(/<Error><Code>AccessDenied<\/Code><Message>User: .* is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::uploads\/a.txt/);
        const dynamodb = deniedResponse("dynamodb", "POST", denied);
        expect(JSON.parse(String(dynamodb.body)).__type).to.equal("com.amazon.coral.service#AccessDeniedException");
        expect(deniedResponse("lambda", "POST", denied).headers["x-amzn-errortype"]).to.equal("AccessDeniedException");
    });

    it("reports, per role, the actions used against the actions granted; grants no call used are findings", async () => {
        const { authorizer, writer } = setup();
        await authorizer.authorize(writer, "dynamodb", "PutItem", { TableName: "orders" });
        await authorizer.authorize(writer, "dynamodb", "PutItem", { TableName: "orders" });
        const role = iamReport(authorizer).principals.find(entry => entry.principal.endsWith("role/writer-role-abc"))!;
        expect(role.used).to.deep.equal([{ action: "dynamodb:PutItem", calls: 2, resources: [TABLE], allowedBy: ["writer-policy/StoreOrders"] }]);
        expect(role.findings.map(finding => `${finding.statement} ${finding.action}`)).to.deep.equal([
            "writer-policy/StoreOrders dynamodb:GetItem", "writer-policy/PublishAlerts sns:Publish",
            "writer-policy/EncryptForTopic kms:GenerateDataKey", "writer-policy/EncryptForTopic kms:Decrypt",
        ]);
    });
});

describe("IAM authorizer on the program's own policies (local stack under mocks)", function () {
    this.timeout(120000);
    let resources: RecordedResource[];

    before(() => {
        resources = synthesizeStack("local").resources;
    });

    it("denies a publish without TLS to every topic, even to the account root, by the topic policy's explicit Deny", async () => {
        const { authorizer, identities } = setup({ resources });
        const topics = resources.filter(item => item.type === "aws:sns/topicPolicy:TopicPolicy").map(item => String(item.inputs.arn));
        expect(topics).to.have.length(4);
        for (const topic of topics) {
            await authorizer.authorize(identities.root(), "sns", "Publish", { TopicArn: topic });
            const denied = await denial(authorizer.authorize(identities.root(), "sns", "Publish", { TopicArn: topic }, { secureTransport: false }));
            expect(denied.message, topic).to.contain("with an explicit deny in a resource-based policy");
        }
    });

    it("lets the upload bucket, and no other bucket, publish to the encrypted event topic, its key included", async () => {
        const { authorizer, identities } = setup({ resources });
        const topic = resources.find(item => item.type === "aws:sns/topic:Topic" && item.name === "events-topic")!.state.arn;
        const s3 = identities.service("s3.amazonaws.com");
        await authorizer.authorize(s3, "sns", "Publish", { TopicArn: topic }, { sourceArn: "arn:aws:s3:::sp-local-event-uploads", sourceAccount: ACCOUNT });
        const denied = await denial(authorizer.authorize(s3, "sns", "Publish", { TopicArn: topic }, { sourceArn: "arn:aws:s3:::sp-local-global-builds", sourceAccount: ACCOUNT }));
        expect(denied.action).to.equal("sns:Publish");
    });
});
