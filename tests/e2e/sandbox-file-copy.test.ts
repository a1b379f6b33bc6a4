import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { expect } from "chai";
import { ProgramSandbox, startProgramSandbox } from "./program-sandbox";
import { credentials, eventually, REGION } from "./sandbox-support";

const OPS = "ops@example.com";

describe("sandbox: file-copy workflow of the real program", function () {
    this.timeout(120000);
    let sandbox: ProgramSandbox;
    let clients: { s3: S3Client; sfn: SFNClient; dynamodb: DynamoDBClient };

    before(async () => {
        // An email subscriber on the failure topic: the sandbox logs what it would mail.
        sandbox = await startProgramSandbox({ configOverrides: { "serverless-pipelines:failureNotificationEmail": OPS } });
        const config = { endpoint: sandbox.endpoint, region: REGION, credentials };
        clients = { s3: new S3Client({ ...config, forcePathStyle: true }), sfn: new SFNClient(config), dynamodb: new DynamoDBClient(config) };
    });

    after(async () => {
        Object.values(clients ?? {}).forEach(client => client.destroy());
        await sandbox?.close();
    });

    it("keeps the tracking record's lists and the failure notification's errors valid JSON when a copy to a missing bucket fails", async () => {
        const { outputs } = sandbox;
        const key = "releases/notes \"v1\".txt";
        const missingBucket = "missing-destination-bucket";
        const goodBucket = Object.values<string>(outputs.regionalBuckets)[0];
        await clients.s3.send(new PutObjectCommand({ Bucket: outputs.globalBuildsBucket, Key: key, Body: "notes" }));
        const { executionArn } = await clients.sfn.send(new StartExecutionCommand({
            stateMachineArn: outputs.fileCopyStateMachineArn,
            input: JSON.stringify({ sourceBucket: outputs.globalBuildsBucket, sourceKey: key, destinationBuckets: [goodBucket, missingBucket] }),
        }));
        const execution = await eventually("the execution to finish", async () => {
            const described = await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
            return described.status === "RUNNING" ? undefined : described;
        }, 60000);
        expect([execution.status, execution.error]).to.deep.equal(["FAILED", "SomeCopiesFailed"]);

        const { Item } = await clients.dynamodb.send(new GetItemCommand({ TableName: outputs.fileCopyTrackingTable, Key: { fileKey: { S: key }, sourceBucket: { S: outputs.globalBuildsBucket } } }));
        const results = JSON.parse(Item!.results.S!);
        const failure = results.find((result: { bucket: string }) => result.bucket === missingBucket);
        expect(failure).to.include({ status: "FAILED", error: "NoSuchBucket" });
        // The cause is Lambda's error document, itself JSON holding quotes: it survives two rounds of escaping.
        expect(JSON.parse(failure.cause)).to.include({ errorType: "NoSuchBucket" });
        expect(JSON.parse(Item!.failedBuckets.S!)).to.deep.equal([missingBucket]);
        expect(JSON.parse(Item!.succeededBuckets.S!)).to.deep.equal([goodBucket]);

        const mail = await eventually("the failure notification", () => sandbox.events.find(event => event.message.startsWith(`sns email ${OPS}:`) && event.message.includes(key)));
        const errors = /🔍 Errors: (.*)\n/.exec(mail.message)?.[1];
        expect(JSON.parse(errors!)).to.deep.equal([failure]);
        expect(JSON.parse(/❌ Failed: (.*)\n/.exec(mail.message)![1])).to.deep.equal([missingBucket]);
    });
});
