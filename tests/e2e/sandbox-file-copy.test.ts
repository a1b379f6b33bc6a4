import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DescribeExecutionCommand, HistoryEventType, ListExecutionsCommand, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { expect } from "chai";
import { awsCli, requireAwsCliV2 } from "./aws-cli-v2";
import { ProgramSandbox, startProgramSandbox } from "./program-sandbox";
import { credentials, eventually, REGION } from "./sandbox-support";

const OPS = "ops@example.com";
const KEY = "releases/notes \"v1\".txt";
const MISSING_BUCKET = "missing-destination-bucket";

describe("sandbox: file-copy workflow of the real program, seen through the SDK and the AWS CLI v2", function () {
    this.timeout(120000);
    let sandbox: ProgramSandbox;
    let clients: { s3: S3Client; sfn: SFNClient; dynamodb: DynamoDBClient };
    /** One run copying KEY to a regional bucket and to a bucket that does not exist. */
    let failedRun: { executionArn: string; goodBucket: string };

    before(async () => {
        await requireAwsCliV2();
        // An email subscriber on the failure topic: the sandbox logs what it would mail.
        sandbox = await startProgramSandbox({ configOverrides: { "serverless-pipelines:failureNotificationEmail": OPS } });
        const config = { endpoint: sandbox.endpoint, region: REGION, credentials };
        clients = { s3: new S3Client({ ...config, forcePathStyle: true }), sfn: new SFNClient(config), dynamodb: new DynamoDBClient(config) };
        const { outputs } = sandbox;
        const goodBucket = Object.values<string>(outputs.regionalBuckets)[0];
        await clients.s3.send(new PutObjectCommand({ Bucket: outputs.globalBuildsBucket, Key: KEY, Body: "notes" }));
        // The upload notifies replication-worker, whose run writes the same tracking record: let it finish first, so this test's run writes last.
        await eventually("the upload's own file-copy run to finish", async () => {
            const { executions = [] } = await clients.sfn.send(new ListExecutionsCommand({ stateMachineArn: outputs.fileCopyStateMachineArn }));
            return executions.length > 0 && executions.every(execution => execution.status !== "RUNNING") ? true : undefined;
        }, 60000);
        const { executionArn } = await clients.sfn.send(new StartExecutionCommand({
            stateMachineArn: outputs.fileCopyStateMachineArn,
            input: JSON.stringify({ sourceBucket: outputs.globalBuildsBucket, sourceKey: KEY, destinationBuckets: [goodBucket, MISSING_BUCKET] }),
        }));
        await eventually("the execution to finish", async () => {
            const described = await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
            return described.status === "RUNNING" ? undefined : described;
        }, 60000);
        failedRun = { executionArn: executionArn!, goodBucket };
    });

    after(async () => {
        Object.values(clients ?? {}).forEach(client => client.destroy());
        await sandbox?.close();
    });

    it("keeps the tracking record's lists and the failure notification's errors valid JSON when a copy to a missing bucket fails", async () => {
        const { outputs } = sandbox;
        const { Item } = await clients.dynamodb.send(new GetItemCommand({ TableName: outputs.fileCopyTrackingTable, Key: { fileKey: { S: KEY }, sourceBucket: { S: outputs.globalBuildsBucket } } }));
        const results = JSON.parse(Item!.results.S!);
        const failure = results.find((result: { bucket: string }) => result.bucket === MISSING_BUCKET);
        // The copy function's role may write only to the regional buckets: S3 refuses the copy before it looks for the bucket, as on AWS.
        expect(failure).to.include({ status: "FAILED", error: "AccessDenied" });
        // The cause is Lambda's error document, itself JSON holding quotes: it survives two rounds of escaping.
        expect(JSON.parse(failure.cause)).to.include({ errorType: "AccessDenied" });
        // The copy function keeps the first part of the message: enough to name the action and the refused bucket.
        expect(JSON.parse(failure.cause).errorMessage).to.contain(`is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::${MISSING_BUCKET.slice(0, 15)}`);
        expect(JSON.parse(Item!.failedBuckets.S!)).to.deep.equal([MISSING_BUCKET]);
        expect(JSON.parse(Item!.succeededBuckets.S!)).to.deep.equal([failedRun.goodBucket]);

        const mail = await eventually("the failure notification", () => sandbox.events.find(event => event.message.startsWith(`sns email ${OPS}:`) && event.message.includes(KEY)));
        // One line per failed bucket with its error name and (the start of) Lambda's errorMessage, never the error document itself.
        expect(mail.message).to.include(`• ${MISSING_BUCKET} — AccessDenied: ${JSON.parse(failure.cause).errorMessage.slice(0, 60)}`).and.not.include("errorType");
    });

    it("aws stepfunctions describe-execution and get-execution-history show the failed run with AWS's event types, five at a time with --max-results 5", async () => {
        const { endpoint } = sandbox;
        const described = await awsCli(endpoint, "stepfunctions", "describe-execution", "--execution-arn", failedRun.executionArn);
        expect(described).to.include({ status: "FAILED", error: "SomeCopiesFailed" });
        expect(Date.parse(described.stopDate)).to.be.at.least(Date.parse(described.startDate));

        const firstPage = await awsCli(endpoint, "stepfunctions", "get-execution-history", "--execution-arn", failedRun.executionArn, "--max-results", "5");
        expect(firstPage.events.map((event: { id: number }) => event.id)).to.deep.equal([1, 2, 3, 4, 5]);
        expect(firstPage.events.map((event: { type: string }) => event.type)).to.deep.equal(["ExecutionStarted", "PassStateEntered", "PassStateExited", "TaskStateEntered", "TaskScheduled"]);
        expect(firstPage.nextToken).to.be.a("string");
        const secondPage = await awsCli(endpoint, "stepfunctions", "get-execution-history", "--execution-arn", failedRun.executionArn, "--max-results", "5", "--next-token", firstPage.nextToken);
        expect(secondPage.events.map((event: { id: number }) => event.id)).to.deep.equal([6, 7, 8, 9, 10]);

        const { events } = await awsCli(endpoint, "stepfunctions", "get-execution-history", "--execution-arn", failedRun.executionArn);
        const counts: Record<string, number> = {};
        for (const event of events) {
            counts[event.type] = (counts[event.type] ?? 0) + 1;
        }
        expect(Object.keys(counts).filter(type => !Object.values<string>(HistoryEventType).includes(type))).to.deep.equal([]);
        // Four copy attempts fail (the first and 3 retries); tracking start, the good copy, the final update, formatting and publishing the notification succeed.
        expect(counts).to.deep.equal({
            ExecutionStarted: 1, PassStateEntered: 4, PassStateExited: 4, TaskStateEntered: 6, TaskStateExited: 6,
            TaskScheduled: 9, TaskStarted: 9, TaskSucceeded: 5, TaskFailed: 4,
            MapStateEntered: 1, MapStateStarted: 1, MapIterationStarted: 2, MapIterationSucceeded: 2, MapStateSucceeded: 1, MapStateExited: 1,
            ChoiceStateEntered: 2, ChoiceStateExited: 2, FailStateEntered: 1, ExecutionFailed: 1,
        });
        const scheduled = events.find((event: { type: string }) => event.type === "TaskScheduled").taskScheduledEventDetails;
        expect(scheduled).to.include({ resourceType: "dynamodb", resource: "putItem", region: REGION });
        expect(JSON.parse(scheduled.parameters).Item.fileKey).to.deep.equal({ S: KEY });
        const newest = await awsCli(endpoint, "stepfunctions", "get-execution-history", "--execution-arn", failedRun.executionArn, "--reverse-order", "--max-results", "2");
        expect(newest.events.map((event: { type: string }) => event.type)).to.deep.equal(["ExecutionFailed", "FailStateEntered"]);
        expect(newest.events[0].executionFailedEventDetails.error).to.equal("SomeCopiesFailed");
    });

    it("aws stepfunctions lists and describes the state machines, starts an execution and lists it", async () => {
        const { endpoint, outputs } = sandbox;
        const { stateMachines } = await awsCli(endpoint, "stepfunctions", "list-state-machines");
        expect(stateMachines.map((machine: { stateMachineArn: string }) => machine.stateMachineArn)).to.include.members([outputs.fileCopyStateMachineArn, outputs.orderStateMachineArn]);
        const machine = await awsCli(endpoint, "stepfunctions", "describe-state-machine", "--state-machine-arn", outputs.fileCopyStateMachineArn);
        expect(machine).to.include({ stateMachineArn: outputs.fileCopyStateMachineArn, status: "ACTIVE", type: "STANDARD" });
        expect(JSON.parse(machine.definition).StartAt).to.equal("ValidateInput");

        const started = await awsCli(endpoint, "stepfunctions", "start-execution", "--state-machine-arn", outputs.fileCopyStateMachineArn, "--name", "cli-copy",
            "--input", JSON.stringify({ sourceBucket: outputs.globalBuildsBucket, sourceKey: KEY, destinationBuckets: [failedRun.goodBucket] }));
        expect(started.executionArn).to.match(/:execution:[^:]+:cli-copy$/);
        const done = await eventually("the CLI-started execution to succeed", async () => {
            const described = await awsCli(endpoint, "stepfunctions", "describe-execution", "--execution-arn", started.executionArn);
            return described.status === "RUNNING" ? undefined : described;
        }, 60000);
        expect(done.status).to.equal("SUCCEEDED");
        const { executions } = await awsCli(endpoint, "stepfunctions", "list-executions", "--state-machine-arn", outputs.fileCopyStateMachineArn, "--status-filter", "FAILED");
        expect(executions.map((execution: { executionArn: string }) => execution.executionArn)).to.include(failedRun.executionArn).and.not.include(started.executionArn);
    });
});
