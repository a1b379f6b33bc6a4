import * as aws from "@pulumi/aws";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import {
    bucketsBlockPublicAccess, bucketsDenyInsecureTransport, bucketsEncrypted, consumedQueuesHaveDeadLetterQueue,
    iamNoBroadManagedPolicies, iamNoWildcards, lambdaRuntimeAndTimeout, logGroupsHaveRetention, policies, queuesEncrypted,
    tablesEncryptedWithRecovery, topicsDenyInsecureTransport, topicsEncrypted,
} from "../../policy/policies";
import { LambdaFunction } from "../../components/shared/lambda-function";
import { PlatformOptions } from "../../components/shared/platform";
import { QueueConsumer } from "../../components/shared/queue-consumer";
import { SecureBucket } from "../../components/shared/secure-bucket";
import { StateMachine } from "../../components/shared/state-machine";
import { secureTable } from "../../components/shared/table";
import { PROJECT_DIR, synthesizeStack } from "../support/program";
import { promiseOf, resourcesUnder } from "../support/pulumi";
import { packViolations, TestResource, violationsOf } from "./run-policies";

const BUCKET = "aws:s3/bucket:Bucket";

/** A bucket with everything the three bucket policies ask for; tests remove one piece each. */
function compliantBucket(): TestResource[] {
    const bucket = "sp-dev-artifacts";
    return [
        { type: BUCKET, name: "artifacts", inputs: { bucket }, state: { bucket, arn: `arn:aws:s3:::${bucket}` } },
        { type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name: "artifacts-public-access", inputs: { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true } },
        { type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", name: "artifacts-encryption", inputs: { bucket, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] } },
        {
            type: "aws:s3/bucketPolicy:BucketPolicy", name: "artifacts-tls-only", inputs: {
                bucket, policy: JSON.stringify({ Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [`arn:aws:s3:::${bucket}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } }] }),
            },
        },
    ];
}

function withoutType(resources: TestResource[], type: string): TestResource[] {
    return resources.filter(resource => !resource.type.startsWith(type));
}

function rolePolicy(statement: Record<string, unknown>): TestResource {
    return { type: "aws:iam/rolePolicy:RolePolicy", name: "fn-policy", inputs: { role: "fn-role", policy: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }) } };
}

function queueConsumedBy(redrivePolicy: string | undefined): TestResource[] {
    const arn = "arn:aws:sqs:us-east-1:123456789012:orders";
    return [
        { type: "aws:sqs/queue:Queue", name: "orders", inputs: { sqsManagedSseEnabled: true, redrivePolicy }, state: { arn } },
        { type: "aws:lambda/eventSourceMapping:EventSourceMapping", name: "orders-consumer", inputs: { eventSourceArn: arn, functionName: "fulfil" } },
    ];
}

const lambda = (inputs: Record<string, unknown>): TestResource => ({ type: "aws:lambda/function:Function", name: "fn", inputs: { runtime: "nodejs22.x", timeout: 30, ...inputs } });
const table = (inputs: Record<string, unknown>): TestResource => ({ type: "aws:dynamodb/table:Table", name: "orders", inputs: { serverSideEncryption: { enabled: true }, pointInTimeRecovery: { enabled: true }, ...inputs } });

describe("policy pack: the package", () => {
    it("is a nodejs pack whose every policy is mandatory with a unique name", () => {
        const manifest = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "policy/PulumiPolicy.yaml"), "utf8"));
        expect(manifest.runtime.name).to.equal("nodejs");
        expect(fs.readFileSync(path.join(PROJECT_DIR, "policy/index.ts"), "utf8")).to.match(/new PolicyPack\([^)]*policies,/s);
        expect(policies.map(policy => policy.enforcementLevel)).to.deep.equal(policies.map(() => "mandatory"));
        expect(new Set(policies.map(policy => policy.name)).size).to.equal(policies.length);
    });
});

describe("policy pack: each policy rejects a broken resource", () => {
    it("s3-buckets-block-public-access: missing block or a flag off fails; complete block passes", async () => {
        expect(await violationsOf(bucketsBlockPublicAccess, compliantBucket(), "dev")).to.deep.equal([]);
        expect(await violationsOf(bucketsBlockPublicAccess, withoutType(compliantBucket(), "aws:s3/bucketPublicAccessBlock"), "dev"))
            .to.deep.equal(["s3-buckets-block-public-access: Bucket artifacts has no BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets all true."]);
        const flagOff = compliantBucket().map(resource => resource.name === "artifacts-public-access" ? { ...resource, inputs: { ...resource.inputs, restrictPublicBuckets: false } } : resource);
        expect(await violationsOf(bucketsBlockPublicAccess, flagOff, "dev")).to.have.length(1);
    });

    it("s3-buckets-encrypted: a bucket without default encryption fails", async () => {
        expect(await violationsOf(bucketsEncrypted, compliantBucket(), "dev")).to.deep.equal([]);
        expect(await violationsOf(bucketsEncrypted, withoutType(compliantBucket(), "aws:s3/bucketServerSideEncryptionConfiguration"), "dev"))
            .to.deep.equal(["s3-buckets-encrypted: Bucket artifacts has no default encryption (AES256 | aws:kms | aws:kms:dsse)."]);
    });

    it("s3-buckets-deny-insecure-transport: no policy, or one that only allows, fails", async () => {
        expect(await violationsOf(bucketsDenyInsecureTransport, compliantBucket(), "dev")).to.deep.equal([]);
        expect(await violationsOf(bucketsDenyInsecureTransport, withoutType(compliantBucket(), "aws:s3/bucketPolicy"), "dev")).to.have.length(1);
        const allowOnly = compliantBucket().map(resource => resource.name === "artifacts-tls-only"
            ? { ...resource, inputs: { ...resource.inputs, policy: JSON.stringify({ Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" }] }) } }
            : resource);
        expect(await violationsOf(bucketsDenyInsecureTransport, allowOnly, "dev"))
            .to.deep.equal(["s3-buckets-deny-insecure-transport: Bucket artifacts has no policy statement denying s3:* when aws:SecureTransport is false."]);
    });

    it("sqs-queues-encrypted: a queue with neither SSE-SQS nor KMS fails", async () => {
        const queue = (inputs: Record<string, unknown>): TestResource => ({ type: "aws:sqs/queue:Queue", name: "q", inputs });
        expect(await violationsOf(queuesEncrypted, [queue({ sqsManagedSseEnabled: true }), queue({ kmsMasterKeyId: "alias/aws/sqs" })], "dev")).to.deep.equal([]);
        expect(await violationsOf(queuesEncrypted, [queue({})], "dev")).to.deep.equal(["sqs-queues-encrypted: Queue q sets neither sqsManagedSseEnabled nor kmsMasterKeyId."]);
    });

    it("sns-topics-encrypted: a topic without a KMS key fails", async () => {
        const topic = (inputs: Record<string, unknown>): TestResource => ({ type: "aws:sns/topic:Topic", name: "alerts", inputs });
        expect(await violationsOf(topicsEncrypted, [topic({ kmsMasterKeyId: "alias/aws/sns" })], "dev")).to.deep.equal([]);
        expect(await violationsOf(topicsEncrypted, [topic({})], "dev")).to.deep.equal(["sns-topics-encrypted: Topic alerts has no kmsMasterKeyId."]);
    });

    it("sns-topics-deny-insecure-transport: a topic on the default policy, or whose policy only allows, fails", async () => {
        const arn = "arn:aws:sns:us-east-1:123456789012:alerts";
        const topic: TestResource = { type: "aws:sns/topic:Topic", name: "alerts", inputs: { kmsMasterKeyId: "alias/aws/sns" }, state: { arn } };
        const topicPolicy = (statements: Record<string, unknown>[]): TestResource => ({
            type: "aws:sns/topicPolicy:TopicPolicy", name: "alerts-policy", inputs: { arn, policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) },
        });
        const publish = { Sid: "AlarmsPublish", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: "sns:Publish", Resource: arn };
        const denyWithoutTls = { Sid: "DenyPublishWithoutTls", Effect: "Deny", Principal: "*", Action: "sns:Publish", Resource: arn, Condition: { Bool: { "aws:SecureTransport": "false" } } };
        expect(await violationsOf(topicsDenyInsecureTransport, [topic, topicPolicy([publish, denyWithoutTls])], "dev")).to.deep.equal([]);
        const expected = ["sns-topics-deny-insecure-transport: Topic alerts has no topic policy denying sns:Publish when aws:SecureTransport is false."];
        expect(await violationsOf(topicsDenyInsecureTransport, [topic], "dev")).to.deep.equal(expected);
        expect(await violationsOf(topicsDenyInsecureTransport, [topic, topicPolicy([publish])], "dev")).to.deep.equal(expected);
        expect(await violationsOf(topicsDenyInsecureTransport, [topic, topicPolicy([publish, { ...denyWithoutTls, Principal: { AWS: "arn:aws:iam::123456789012:root" } }])], "dev"))
            .to.deep.equal(expected);
    });

    it("sqs-consumed-queues-have-dlq: a consumed queue without redrive fails; a consumed DLQ is exempt", async () => {
        const redrive = JSON.stringify({ deadLetterTargetArn: "arn:aws:sqs:us-east-1:123456789012:orders-dlq", maxReceiveCount: 3 });
        expect(await violationsOf(consumedQueuesHaveDeadLetterQueue, queueConsumedBy(redrive), "dev")).to.deep.equal([]);
        expect(await violationsOf(consumedQueuesHaveDeadLetterQueue, queueConsumedBy(undefined), "dev"))
            .to.deep.equal(["sqs-consumed-queues-have-dlq: Queue orders is consumed by orders-consumer but has no redrive policy with a DLQ and maxReceiveCount."]);
        const consumedDlq: TestResource[] = [
            { type: "aws:sqs/queue:Queue", name: "source", inputs: { redrivePolicy: JSON.stringify({ deadLetterTargetArn: "arn:aws:sqs:us-east-1:123456789012:orders", maxReceiveCount: 3 }) }, state: { arn: "arn:aws:sqs:us-east-1:123456789012:source" } },
            ...queueConsumedBy(undefined),
        ];
        expect(await violationsOf(consumedQueuesHaveDeadLetterQueue, consumedDlq, "dev")).to.deep.equal([]);
    });

    it("dynamodb-tables-encrypted-with-pitr: no SSE fails everywhere; no PITR fails outside local only", async () => {
        expect(await violationsOf(tablesEncryptedWithRecovery, [table({})], "prod")).to.deep.equal([]);
        expect(await violationsOf(tablesEncryptedWithRecovery, [table({ serverSideEncryption: { enabled: false } })], "local"))
            .to.deep.equal(["dynamodb-tables-encrypted-with-pitr: Table orders does not enable serverSideEncryption."]);
        const noRecovery = table({ pointInTimeRecovery: { enabled: false } });
        expect(await violationsOf(tablesEncryptedWithRecovery, [noRecovery], "local")).to.deep.equal([]);
        expect(await violationsOf(tablesEncryptedWithRecovery, [noRecovery], "staging"))
            .to.deep.equal(["dynamodb-tables-encrypted-with-pitr: Table orders has no point-in-time recovery on stack staging."]);
    });

    it("iam-no-wildcard-actions-or-resources: wildcard actions and unexpected * resources fail; X-Ray and log delivery on * pass", async () => {
        const fine = [
            rolePolicy({ Effect: "Allow", Action: ["dynamodb:PutItem"], Resource: ["arn:aws:dynamodb:us-east-1:123456789012:table/orders"] }),
            rolePolicy({ Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: ["*"] }),
            rolePolicy({ Effect: "Allow", Action: ["logs:CreateLogDelivery", "logs:GetLogDelivery"], Resource: "*" }),
            { type: "aws:s3/bucketPolicy:BucketPolicy", name: "deny-is-not-a-grant", inputs: { policy: JSON.stringify({ Statement: [{ Effect: "Deny", Action: "s3:*", Resource: "*" }] }) } },
        ];
        expect(await violationsOf(iamNoWildcards, fine, "dev")).to.deep.equal([]);
        expect(await violationsOf(iamNoWildcards, [rolePolicy({ Sid: "All", Effect: "Allow", Action: ["s3:*"], Resource: ["arn:aws:s3:::b/*"] })], "dev"))
            .to.deep.equal(["iam-no-wildcard-actions-or-resources: fn-policy statement All grants wildcard action s3:*."]);
        expect(await violationsOf(iamNoWildcards, [rolePolicy({ Sid: "Put", Effect: "Allow", Action: "dynamodb:PutItem", Resource: "*" })], "dev"))
            .to.deep.equal(["iam-no-wildcard-actions-or-resources: fn-policy statement Put grants dynamodb:PutItem on Resource \"*\"."]);
        const inlineRole: TestResource = { type: "aws:iam/role:Role", name: "r", inputs: { inlinePolicies: [{ name: "p", policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }) }] } };
        expect(await violationsOf(iamNoWildcards, [inlineRole], "dev")).to.have.length(2);
    });

    it("iam-no-broad-managed-policies: attaching a *FullAccess policy fails", async () => {
        const attachment = (policyArn: string): TestResource => ({ type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", name: "attach", inputs: { role: "r", policyArn } });
        expect(await violationsOf(iamNoBroadManagedPolicies, [attachment("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")], "dev")).to.deep.equal([]);
        expect(await violationsOf(iamNoBroadManagedPolicies, [attachment("arn:aws:iam::aws:policy/AmazonS3FullAccess")], "dev"))
            .to.deep.equal(["iam-no-broad-managed-policies: attach attaches broad managed policy arn:aws:iam::aws:policy/AmazonS3FullAccess."]);
    });

    it("lambda-current-runtime-bounded-timeout: an old runtime, no timeout or more than 900 s fails", async () => {
        expect(await violationsOf(lambdaRuntimeAndTimeout, [lambda({}), lambda({ runtime: "nodejs24.x", timeout: 900 })], "dev")).to.deep.equal([]);
        expect(await violationsOf(lambdaRuntimeAndTimeout, [lambda({ runtime: "nodejs18.x" })], "dev"))
            .to.deep.equal(["lambda-current-runtime-bounded-timeout: Function fn runs nodejs18.x; use nodejs22.x or newer."]);
        expect(await violationsOf(lambdaRuntimeAndTimeout, [lambda({ timeout: undefined }), lambda({ timeout: 901 })], "dev")).to.have.length(2);
    });

    it("log-groups-have-retention: a log group without retentionInDays fails", async () => {
        const logGroup = (inputs: Record<string, unknown>): TestResource => ({ type: "aws:cloudwatch/logGroup:LogGroup", name: "logs", inputs });
        expect(await violationsOf(logGroupsHaveRetention, [logGroup({ retentionInDays: 14 })], "dev")).to.deep.equal([]);
        expect(await violationsOf(logGroupsHaveRetention, [logGroup({})], "dev")).to.deep.equal(["log-groups-have-retention: Log group logs keeps logs forever; set retentionInDays."]);
    });
});

/** Every shared building block, as the systems use them, on one platform. */
async function buildingBlocks(prefix: string, platform: PlatformOptions) {
    const bucket = new SecureBucket(`${prefix}-bucket`, { platform, bucketName: "artifacts", versioning: true });
    const queue = new QueueConsumer(`${prefix}-queue`, { platform, queueName: "work", consumerTimeoutSeconds: 30 });
    const worker = new LambdaFunction(`${prefix}-worker`, {
        platform,
        functionName: "worker",
        handlerFactory: () => async () => undefined,
        statements: [{ sid: "ConsumeWork", actions: ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"], resources: [queue.arn] }],
    });
    new aws.lambda.EventSourceMapping(`${prefix}-mapping`, { eventSourceArn: queue.arn, functionName: worker.name, batchSize: 10, functionResponseTypes: ["ReportBatchItemFailures"] });
    // The DLQ's own consumer: exempt from the DLQ rule, as in OrderFulfillment.
    new aws.lambda.EventSourceMapping(`${prefix}-dlq-mapping`, { eventSourceArn: queue.dlqArn, functionName: worker.name, batchSize: 10 });
    const tracking = secureTable(`${prefix}-table`, { platform, tableName: "tracking", hashKey: "id" }, {});
    const machine = new StateMachine(`${prefix}-machine`, { platform, stateMachineName: "flow", definition: JSON.stringify({ StartAt: "Done", States: { Done: { Type: "Succeed" } } }), statements: [] });
    await Promise.all([promiseOf(bucket.arn), promiseOf(queue.arn), promiseOf(worker.arn), promiseOf(tracking.arn), promiseOf(machine.arn)]);
    return resourcesUnder(prefix);
}

describe("policy pack: the shared building blocks comply", () => {
    for (const [stack, local] of [["local", true], ["prod", false]] as const) {
        it(`on ${stack}: buckets, queues, functions, tables and state machines pass every policy`, async () => {
            const resources = await buildingBlocks(`policy-blocks-${stack}`, { namePrefix: `sp-${stack}`, local, logRetentionInDays: 7 });
            const types = new Set(resources.map(resource => resource.type));
            expect([...types]).to.include.members([BUCKET, "aws:sqs/queue:Queue", "aws:lambda/function:Function", "aws:dynamodb/table:Table", "aws:iam/rolePolicy:RolePolicy", "aws:lambda/eventSourceMapping:EventSourceMapping"]);
            expect(await packViolations(resources, stack)).to.deep.equal([]);
        });
    }
});

describe("policy pack: the whole program complies under mocks", () => {
    for (const stack of ["local", "dev"]) {
        for (const policy of policies) {
            it(`${policy.name} passes on the ${stack} program`, async () => {
                expect(await violationsOf(policy, synthesizeStack(stack).resources, stack)).to.deep.equal([]);
            });
        }
    }

    for (const stack of ["local", "dev", "staging", "prod"]) {
        it(`the ${stack} stack config produces a program whose resources pass the whole pack`, async () => {
            const synthesis = synthesizeStack(stack);
            expect(synthesis.config["serverless-pipelines:target"]).to.equal(stack === "local" ? "local" : "aws");
            expect(await packViolations(synthesis.resources, stack)).to.deep.equal([]);
        });
    }
});
