import { StateMachine as LocalStateMachine } from "aws-local-stepfunctions";
import { expect } from "chai";
import { FileCopyWorkflow } from "../../components/file-copy-workflow";
import { one, promiseOf, resourcesUnder } from "../support/pulumi";

import "../../sandbox/promise-with-resolvers";

// asl-validator ships no type declarations.
const aslModule = require("asl-validator");
const aslValidator: (definition: unknown) => { isValid: boolean; errorsText: () => string } = aslModule.default ?? aslModule;

type Attribute = { S?: string; N?: string };
type Item = Record<string, Attribute>;
interface PublishedMessage { TopicArn: string; Subject: string; Message: string }

const EXECUTION_ID = "arn:aws:states:us-east-1:123456789012:execution:wf-file-copy-workflow:run-1";
const COMPLETION_TIME = "2026-01-01T00:00:05.000Z";

/** Applies `SET a = :a, #b = :b` the way DynamoDB would, enough for the definition's one update. */
function applyUpdate(item: Item, expression: string, names: Record<string, string>, values: Record<string, Attribute>): void {
    for (const assignment of expression.replace(/^SET /, "").split(",")) {
        const [name, value] = assignment.split("=").map(part => part.trim());
        item[names[name] ?? name] = values[value];
    }
}

/** In-memory DynamoDB, S3 copy and SNS behind the definition's Task states. */
class FakeServices {
    readonly table = new Map<string, Item>();
    readonly messages: PublishedMessage[] = [];
    readonly startRecords: Item[] = [];
    readonly copyCalls: string[] = [];
    publishAttempts = 0;

    constructor(private readonly copy: (bucket: string, attempt: number) => void, private readonly publishFails = false) {}

    record(): Item {
        expect(this.table.size).to.equal(1);
        return [...this.table.values()][0];
    }

    handlers(): Record<string, (input: any) => Promise<any>> {
        return {
            LogWorkflowStart: async input => {
                this.startRecords.push({ ...input.Item });
                this.table.set(`${input.Item.fileKey.S}|${input.Item.sourceBucket.S}`, { ...input.Item });
                return {};
            },
            UpdateDynamoDBFinal: async input => {
                const key = `${input.Key.fileKey.S}|${input.Key.sourceBucket.S}`;
                const item = this.table.get(key) ?? { ...input.Key };
                applyUpdate(item, input.UpdateExpression, input.ExpressionAttributeNames, input.ExpressionAttributeValues);
                this.table.set(key, item);
                return {};
            },
            CopyObject: async input => {
                const bucket: string = input.Payload.destinationBucket;
                this.copyCalls.push(bucket);
                this.copy(bucket, this.copyCalls.filter(called => called === bucket).length);
                return { StatusCode: 200, Payload: { bucket, status: "SUCCEEDED" } };
            },
            SendFailureNotification: async input => {
                this.publishAttempts += 1;
                if (this.publishFails) {
                    throw Object.assign(new Error("SNS is unavailable"), { name: "SNS.InternalErrorException" });
                }
                this.messages.push(input);
                return { MessageId: "m-1" };
            },
        };
    }
}

function accessDenied(bucket: string): never {
    throw Object.assign(new Error(`Access Denied writing to ${bucket}`), { name: "AccessDenied" });
}

describe("FileCopyWorkflow state machine (asl-validator + aws-local-stepfunctions)", () => {
    let definition: Record<string, any>;

    before(async () => {
        const workflow = new FileCopyWorkflow("wf-file-copy", {
            platform: { namePrefix: "wf", local: true },
            sourceBuckets: [{ name: "global-builds", arn: "arn:aws:s3:::global-builds" }],
            destinationBuckets: ["region-a", "region-b", "region-c"].map(name => ({ name, arn: `arn:aws:s3:::${name}` })),
        });
        await promiseOf(workflow.stateMachineArn);
        const machine = one(await resourcesUnder("wf-file-copy"), "aws:sfn/stateMachine:StateMachine");
        definition = JSON.parse(machine.inputs.definition);
    });

    async function run(services: FakeServices, destinationBuckets = ["region-a", "region-b", "region-c"]) {
        const machine = new LocalStateMachine(definition as any);
        const execution = machine.run({ sourceBucket: "global-builds", sourceKey: "builds/build 42+final.zip", destinationBuckets }, {
            overrides: {
                taskResourceLocalHandlers: services.handlers(),
                retryIntervalOverrides: { LogWorkflowStart: 0, CopyObject: 0, UpdateDynamoDBFinal: 0, SendFailureNotification: 0 },
            },
            context: {
                Execution: { Id: EXECUTION_ID },
                State: { EnteredTime: COMPLETION_TIME },
            },
        });
        const events: { type: string; state?: { name: string } }[] = [];
        const collect = (async () => {
            for await (const event of execution.eventLogs) {
                events.push(event as any);
            }
        })();
        const outcome = await execution.result.then(output => ({ output, error: undefined as Error | undefined }), (error: Error) => ({ output: undefined, error }));
        await collect;
        const entered = events.filter(event => event.type === "StateEntered").map(event => event.state?.name);
        return { ...outcome, entered, events };
    }

    it("passes asl-validator", () => {
        const { isValid, errorsText } = aslValidator(definition);
        expect(isValid, errorsText()).to.equal(true);
    });

    it("keeps the seed's states, Map concurrency and retries", () => {
        expect(Object.keys(definition.States)).to.have.members([
            "ValidateInput", "LogWorkflowStart", "CopyToMultipleBuckets", "SortCopyResults", "ListAllSucceeded", "ListAllFailed",
            "ListMixedResults", "ProcessResults", "UpdateDynamoDBFinal", "CheckIfAllSuccessful", "AllCopiesSuccessful",
            "SendFailureNotification", "SomeCopiesFailed", "NotificationFailed",
        ]);
        const map = definition.States.CopyToMultipleBuckets;
        expect(map.MaxConcurrency).to.equal(10);
        expect(map.ItemProcessor.States.CopyObject.Retry).to.deep.equal([{ ErrorEquals: ["States.ALL"], MaxAttempts: 3, IntervalSeconds: 2, BackoffRate: 2 }]);
        expect(definition.States.LogWorkflowStart.Retry[0]).to.include({ MaxAttempts: 3, IntervalSeconds: 1 });
        expect(definition.States.UpdateDynamoDBFinal.Retry[0]).to.include({ MaxAttempts: 3, IntervalSeconds: 1 });
        expect(definition.States.SendFailureNotification.Retry[0]).to.include({ MaxAttempts: 2, IntervalSeconds: 1 });
    });

    it("all succeed: ends in AllCopiesSuccessful with a COMPLETED record", async () => {
        const services = new FakeServices(() => undefined);
        const { error, entered } = await run(services);
        expect(error?.message).to.equal(undefined);
        expect(entered).to.include("AllCopiesSuccessful").and.not.include("SendFailureNotification");
        const { startTime, ...record } = services.record();
        // The emulator sets $$.Execution.StartTime itself, so only its shape is checked.
        expect(startTime.S).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
        expect(record).to.deep.equal({
            fileKey: { S: "builds/build 42+final.zip" },
            sourceBucket: { S: "global-builds" },
            executionId: { S: EXECUTION_ID },
            status: { S: "COMPLETED" },
            completionTime: { S: COMPLETION_TIME },
            totalBuckets: { N: "3" },
            successfulCopies: { N: "3" },
            failedCopies: { N: "0" },
            succeededBuckets: { S: JSON.stringify(["region-a", "region-b", "region-c"]) },
            failedBuckets: { S: "[]" },
            results: { S: JSON.stringify(["region-a", "region-b", "region-c"].map(bucket => ({ bucket, status: "SUCCEEDED" }))) },
            destinationBuckets: { S: JSON.stringify(["region-a", "region-b", "region-c"]) },
        });
        expect(services.messages).to.have.length(0);
        expect(services.startRecords).to.have.length(1);
        expect(services.startRecords[0]).to.deep.include({ status: { S: "IN_PROGRESS" }, executionId: { S: EXECUTION_ID }, fileKey: { S: "builds/build 42+final.zip" } });
    });

    it("some fail: ends in SomeCopiesFailed, PARTIALLY_FAILED, and the message names the bucket and error", async () => {
        const services = new FakeServices(bucket => bucket === "region-b" ? accessDenied(bucket) : undefined);
        const { error, entered } = await run(services);
        expect(error?.message).to.include("At least one destination bucket did not receive the file");
        expect(entered).to.include.members(["SendFailureNotification", "SomeCopiesFailed"]);
        const record = services.record();
        expect(record.status).to.deep.equal({ S: "PARTIALLY_FAILED" });
        expect(record).to.deep.include({ totalBuckets: { N: "3" }, successfulCopies: { N: "2" }, failedCopies: { N: "1" } });
        expect(JSON.parse(record.failedBuckets.S!)).to.deep.equal(["region-b"]);
        expect(JSON.parse(record.succeededBuckets.S!)).to.deep.equal(["region-a", "region-c"]);
        expect(JSON.parse(record.results.S!)).to.deep.include({ bucket: "region-b", status: "FAILED", error: "AccessDenied", cause: "Access Denied writing to region-b" });
        expect(services.copyCalls.filter(bucket => bucket === "region-b")).to.have.length(4);
        expect(services.messages).to.have.length(1);
        const [message] = services.messages;
        expect(message.Subject).to.equal("File copy failed: 1 of 3 destinations");
        expect(message.Subject).to.match(/^[\x20-\x7e]{1,100}$/);
        expect(message.Message).to.include("s3://global-builds/builds/build 42+final.zip")
            .and.include("region-b").and.include("AccessDenied").and.include(EXECUTION_ID).and.include("wf-file-copy-tracking").and.include("❌");
    });

    it("all fail: the record is FAILED", async () => {
        const services = new FakeServices(bucket => accessDenied(bucket));
        const { error } = await run(services);
        expect(error?.message).to.include("At least one destination bucket did not receive the file");
        expect(services.record()).to.deep.include({ status: { S: "FAILED" }, successfulCopies: { N: "0" }, failedCopies: { N: "3" } });
    });

    it("transient then succeed: the copy is retried and the run succeeds", async () => {
        const services = new FakeServices((bucket, attempt) => attempt <= 2 ? accessDenied(bucket) : undefined);
        const { error, entered } = await run(services, ["region-a"]);
        expect(error?.message).to.equal(undefined);
        expect(services.copyCalls).to.deep.equal(["region-a", "region-a", "region-a"]);
        expect(entered).to.include("AllCopiesSuccessful");
        expect(services.record().status).to.deep.equal({ S: "COMPLETED" });
    });

    it("notification fails: ends in NotificationFailed after 1 + 2 publish attempts", async () => {
        const services = new FakeServices(bucket => bucket === "region-c" ? accessDenied(bucket) : undefined, true);
        const { error, entered } = await run(services);
        expect(error?.message).to.include("failure notification could not be published");
        expect(services.publishAttempts).to.equal(3);
        expect(entered).to.include("NotificationFailed").and.not.include("SomeCopiesFailed");
        expect(services.record().status).to.deep.equal({ S: "PARTIALLY_FAILED" });
    });
});
