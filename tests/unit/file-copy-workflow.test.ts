import { expect } from "chai";
import { FileCopyWorkflow } from "../../components/file-copy-workflow";
import { archiveSize } from "../../sandbox/archive";
import { PROJECT_DIR } from "../support/program";
import { archiveOf, one, ofType, promiseOf, resourcesUnder, statementsOfRole } from "../support/pulumi";

const ACCOUNT = "123456789012";
const buckets = (...names: string[]) => names.map(name => ({ name, arn: `arn:aws:s3:::${name}` }));

describe("FileCopyWorkflow component", () => {
    let localUrl: string;

    before(async () => {
        const outside = new FileCopyWorkflow("fcw-dev", {
            platform: { namePrefix: "fcd", local: false },
            sourceBuckets: buckets("src-a"),
            destinationBuckets: buckets("dst-a", "dst-b"),
            notificationEmails: ["ops@example.com", "dev@example.com"],
        });
        const local = new FileCopyWorkflow("fcw-local", {
            platform: { namePrefix: "fcl", local: true },
            sourceBuckets: buckets("src-a"),
            destinationBuckets: buckets("dst-a"),
            maxConcurrency: 4,
            localEndpoint: "http://localhost:4566",
        });
        [, localUrl] = await Promise.all([promiseOf(outside.apiUrl), promiseOf(local.apiUrl)]);
    });

    it("creates a STANDARD state machine with logging, tracing only outside local, and the Map concurrency", async () => {
        const dev = one(await resourcesUnder("fcw-dev"), "aws:sfn/stateMachine:StateMachine");
        const local = one(await resourcesUnder("fcw-local"), "aws:sfn/stateMachine:StateMachine");
        expect(dev.inputs).to.include({ name: "fcd-file-copy-workflow", type: "STANDARD" });
        expect(dev.inputs.loggingConfiguration.level).to.equal("ERROR");
        expect(dev.inputs.tracingConfiguration).to.deep.equal({ enabled: true });
        expect(local.inputs.tracingConfiguration).to.deep.equal({ enabled: false });
        expect(JSON.parse(dev.inputs.definition).States.CopyToMultipleBuckets.MaxConcurrency).to.equal(10);
        expect(JSON.parse(local.inputs.definition).States.CopyToMultipleBuckets.MaxConcurrency).to.equal(4);
    });

    it("wires the definition's tasks to this table, topic, copy function and notification formatter", async () => {
        const machine = one(await resourcesUnder("fcw-dev"), "aws:sfn/stateMachine:StateMachine");
        const states = JSON.parse(machine.inputs.definition).States;
        expect(states.LogWorkflowStart.Parameters.TableName).to.equal("fcd-file-copy-tracking");
        expect(states.UpdateDynamoDBFinal.Parameters.TableName).to.equal("fcd-file-copy-tracking");
        expect(states.SendFailureNotification.Parameters.TopicArn).to.equal(`arn:aws:sns:us-east-1:${ACCOUNT}:fcd-file-copy-failures`);
        expect(states.CopyToMultipleBuckets.ItemProcessor.States.CopyObject.Parameters.FunctionName).to.equal(`arn:aws:lambda:us-east-1:${ACCOUNT}:function:fcd-copy-object`);
        expect(states.FormatFailureNotification.Parameters.FunctionName).to.equal(`arn:aws:lambda:us-east-1:${ACCOUNT}:function:fcd-format-failure-notification`);
        expect(states.FormatPlainFailureNotification.Parameters["message.$"]).to.include("DynamoDB table fcd-file-copy-tracking");
    });

    it("creates the encrypted tracking table keyed fileKey/sourceBucket with PITR only outside local", async () => {
        const dev = one(await resourcesUnder("fcw-dev"), "aws:dynamodb/table:Table");
        const local = one(await resourcesUnder("fcw-local"), "aws:dynamodb/table:Table");
        expect(dev.inputs).to.include({ name: "fcd-file-copy-tracking", hashKey: "fileKey", rangeKey: "sourceBucket", billingMode: "PAY_PER_REQUEST" });
        expect(dev.inputs.serverSideEncryption).to.deep.equal({ enabled: true });
        expect(dev.inputs.pointInTimeRecovery).to.deep.equal({ enabled: true });
        expect(local.inputs.pointInTimeRecovery).to.deep.equal({ enabled: false });
    });

    it("creates the encrypted failure topic with one email subscription per address", async () => {
        const resources = await resourcesUnder("fcw-dev");
        expect(one(resources, "aws:sns/topic:Topic").inputs).to.include({ name: "fcd-file-copy-failures", kmsMasterKeyId: "alias/aws/sns" });
        const subscriptions = ofType(resources, "aws:sns/topicSubscription:TopicSubscription").map(s => [s.inputs.protocol, s.inputs.endpoint, s.inputs.topic]);
        expect(subscriptions).to.have.deep.members([
            ["email", "ops@example.com", `arn:aws:sns:us-east-1:${ACCOUNT}:fcd-file-copy-failures`],
            ["email", "dev@example.com", `arn:aws:sns:us-east-1:${ACCOUNT}:fcd-file-copy-failures`],
        ]);
        expect(ofType(await resourcesUnder("fcw-local"), "aws:sns/topicSubscription:TopicSubscription")).to.have.length(0);
    });

    it("routes POST /step-function to the invoker with a body model and validator, and lets API Gateway invoke it", async () => {
        const resources = await resourcesUnder("fcw-dev");
        const method = one(resources, "aws:apigateway/method:Method", m => m.inputs.httpMethod === "POST");
        const model = one(resources, "aws:apigateway/model:Model");
        expect(method.inputs.requestModels["application/json"]).to.equal(model.inputs.name);
        expect(method.inputs.requestValidatorId).to.be.a("string").with.length.above(0);
        const schema = JSON.parse(model.inputs.schema);
        expect(schema.required).to.deep.equal(["sourceBucket", "sourceKey", "destinationBuckets"]);
        expect(schema.properties.destinationBuckets).to.include({ minItems: 1, maxItems: 10, uniqueItems: true });
        expect(one(resources, "aws:apigateway/resource:Resource").inputs.pathPart).to.equal("step-function");
        const permission = one(resources, "aws:lambda/permission:Permission");
        expect(permission.inputs).to.include({ action: "lambda:InvokeFunction", function: "fcd-step-function-invoker", principal: "apigateway.amazonaws.com" });
        expect(permission.inputs.sourceArn).to.match(/\/\*\/POST\/step-function$/);
    });

    it("gives the copy function GetObject on sources and PutObject on destinations only, no tagging actions", async () => {
        const resources = await resourcesUnder("fcw-dev");
        const fn = one(resources, "aws:lambda/function:Function", f => f.inputs.name === "fcd-copy-object");
        const statements = statementsOfRole(resources, fn.inputs.role).filter(s => s.Sid !== "WriteOwnLogs" && s.Sid !== "WriteTraces");
        expect(statements.map(s => [s.Sid, s.Action, s.Resource])).to.deep.equal([
            ["ReadSourceObjects", ["s3:GetObject"], ["arn:aws:s3:::src-a/*"]],
            ["WriteDestinationObjects", ["s3:PutObject"], ["arn:aws:s3:::dst-a/*", "arn:aws:s3:::dst-b/*"]],
        ]);
    });

    it("replaces the failure topic's default policy: only the state machine's role publishes, over TLS only", async () => {
        const resources = await resourcesUnder("fcw-dev");
        const topicArn = `arn:aws:sns:us-east-1:${ACCOUNT}:fcd-file-copy-failures`;
        const machine = one(resources, "aws:sfn/stateMachine:StateMachine");
        const policy = one(resources, "aws:sns/topicPolicy:TopicPolicy");
        expect(policy.inputs.arn).to.equal(topicArn);
        expect(JSON.parse(policy.inputs.policy).Statement).to.deep.equal([
            { Sid: "WorkflowPublishes", Effect: "Allow", Principal: { AWS: machine.inputs.roleArn }, Action: "sns:Publish", Resource: topicArn },
            {
                Sid: "DenyPublishWithoutTls", Effect: "Deny", Principal: "*", Action: "sns:Publish", Resource: topicArn,
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ]);
    });

    it("lets the invoker start only this state machine and passes the allowed buckets", async () => {
        const resources = await resourcesUnder("fcw-dev");
        const fn = one(resources, "aws:lambda/function:Function", f => f.inputs.name === "fcd-step-function-invoker");
        const machineArn = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:fcd-file-copy-workflow`;
        const statements = statementsOfRole(resources, fn.inputs.role).filter(s => s.Sid !== "WriteOwnLogs" && s.Sid !== "WriteTraces");
        expect(statements.map(s => [s.Sid, s.Action, s.Resource])).to.deep.equal([["StartWorkflow", ["states:StartExecution"], [machineArn]]]);
        expect(fn.inputs.environment.variables).to.deep.equal({
            STATE_MACHINE_ARN: machineArn,
            ALLOWED_SOURCE_BUCKETS: JSON.stringify(["src-a"]),
            ALLOWED_DESTINATION_BUCKETS: JSON.stringify(["dst-a", "dst-b"]),
        });
    });

    it("gives the notification formatter no permission beyond its own logs, and the names it points readers to", async () => {
        const resources = await resourcesUnder("fcw-dev");
        const fn = one(resources, "aws:lambda/function:Function", f => f.inputs.name === "fcd-format-failure-notification");
        expect(statementsOfRole(resources, fn.inputs.role).map(s => s.Sid)).to.deep.equal(["WriteOwnLogs", "WriteTraces"]);
        expect(fn.inputs.environment.variables).to.deep.equal({ TRACKING_TABLE_NAME: "fcd-file-copy-tracking", COPY_LOG_GROUP_NAME: "/aws/lambda/fcd-copy-object" });
    });

    it("gives the state machine role only the table writes, the topic publish and the invokes of the copy function and the formatter", async () => {
        const resources = await resourcesUnder("fcw-dev");
        const machine = one(resources, "aws:sfn/stateMachine:StateMachine");
        const copyArn = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:fcd-copy-object`;
        const formatArn = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:fcd-format-failure-notification`;
        const statements = statementsOfRole(resources, machine.inputs.roleArn).filter(s => ["TrackRuns", "PublishFailures", "InvokeCopy", "InvokeNotificationFormatter"].includes(s.Sid ?? ""));
        expect(statements.map(s => [s.Sid, s.Action, s.Resource])).to.deep.equal([
            ["TrackRuns", ["dynamodb:PutItem", "dynamodb:UpdateItem"], [`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/fcd-file-copy-tracking`]],
            ["PublishFailures", ["sns:Publish"], [`arn:aws:sns:us-east-1:${ACCOUNT}:fcd-file-copy-failures`]],
            ["InvokeCopy", ["lambda:InvokeFunction"], [copyArn]],
            ["InvokeNotificationFormatter", ["lambda:InvokeFunction"], [formatArn]],
        ]);
        // The unqualified invokes suffice because the definition names the unqualified ARNs.
        expect(JSON.stringify(JSON.parse(machine.inputs.definition))).to.include(`"FunctionName":"${copyArn}"`).and.include(`"FunctionName":"${formatArn}"`);
    });

    it("uses the path-style API URL on local", async () => {
        const api = one(await resourcesUnder("fcw-local"), "aws:apigateway/restApi:RestApi");
        expect(api.inputs.name).to.equal("fcl-file-copy-api");
        expect(localUrl).to.equal(`http://localhost:4566/restapis/${api.id}/v1/_user_request_`);
    });

    it("keeps each function archive under 256 KiB", async () => {
        const functions = ofType(await resourcesUnder("fcw-dev"), "aws:lambda/function:Function");
        expect(functions.map(f => f.inputs.name)).to.have.members(["fcd-copy-object", "fcd-format-failure-notification", "fcd-step-function-invoker"]);
        for (const fn of functions) {
            const size = archiveSize(PROJECT_DIR, archiveOf(fn));
            console.log(`      ${fn.inputs.name}: ${size} bytes`);
            expect(size, fn.inputs.name).to.be.below(256 * 1024);
        }
    });
});
