import { StateMachine as LocalStateMachine } from "aws-local-stepfunctions";
import { expect } from "chai";
import { FileCopyWorkflow } from "../../components/file-copy-workflow";
import { awsRule, localStackRule, withJsonPathRule } from "../support/jsonpath-rules";
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

/** What a user can see of one run: how it ended, the states it went through, the tracking record and the notifications. */
interface Outcome {
    error?: string;
    entered: string[];
    record: Item;
    startRecord: Item;
    messages: PublishedMessage[];
    publishAttempts: number;
    copyCalls: string[];
}

const withoutStartTime = ({ startTime, ...rest }: Item): Item => {
    // The emulator sets $$.Execution.StartTime itself, so only its shape is checked.
    expect(startTime.S).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    return rest;
};

const regions = (count: number) => Array.from({ length: count }, (_, index) => `region-${String.fromCharCode(97 + index)}`);

describe("FileCopyWorkflow state machine (asl-validator + aws-local-stepfunctions)", () => {
    let definition: Record<string, any>;
    let machine: LocalStateMachine;

    before(async () => {
        const workflow = new FileCopyWorkflow("wf-file-copy", {
            platform: { namePrefix: "wf", local: true },
            sourceBuckets: [{ name: "global-builds", arn: "arn:aws:s3:::global-builds" }],
            destinationBuckets: regions(10).map(name => ({ name, arn: `arn:aws:s3:::${name}` })),
        });
        await promiseOf(workflow.stateMachineArn);
        definition = JSON.parse(one(await resourcesUnder("wf-file-copy"), "aws:sfn/stateMachine:StateMachine").inputs.definition);
        // Built outside any rule swap: the constructor's asl-validator queries jsonpath-plus too.
        machine = new LocalStateMachine(definition as any);
    });

    async function run(services: FakeServices, destinationBuckets: string[]): Promise<Outcome> {
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
        const error = await execution.result.then(() => undefined, (failure: Error) => failure.message);
        await collect;
        expect(services.startRecords).to.have.length(1);
        return {
            error,
            entered: events.filter(event => event.type === "StateEntered").map(event => event.state!.name),
            record: withoutStartTime(services.record()),
            startRecord: withoutStartTime(services.startRecords[0]),
            messages: services.messages,
            publishAttempts: services.publishAttempts,
            copyCalls: [...services.copyCalls].sort(),
        };
    }

    /** The run under AWS's JSONPath rule and under LocalStack 4.14's; a user must not be able to tell them apart. */
    async function runOnBothTargets(destinationBuckets: string[], copy: (bucket: string, attempt: number) => void, publishFails = false): Promise<Outcome> {
        const aws = await withJsonPathRule(awsRule, () => run(new FakeServices(copy, publishFails), destinationBuckets));
        const localStack = await withJsonPathRule(localStackRule, () => run(new FakeServices(copy, publishFails), destinationBuckets));
        expect(localStack, "the run under LocalStack 4.14's JSONPath vs under AWS's").to.deep.equal(aws);
        return aws;
    }

    it("passes asl-validator", () => {
        const { isValid, errorsText } = aslValidator(definition);
        expect(isValid, errorsText()).to.equal(true);
    });

    it("keeps the seed's states, Map concurrency and retries", () => {
        expect(Object.keys(definition.States)).to.have.members([
            "ValidateInput", "LogWorkflowStart", "CopyToMultipleBuckets", "ChooseStatus", "StatusCompleted", "StatusFailed",
            "StatusPartiallyFailed", "ProcessResults", "UpdateDynamoDBFinal", "CheckIfAllSuccessful", "AllCopiesSuccessful",
            "SendFailureNotification", "SomeCopiesFailed", "NotificationFailed",
        ]);
        const map = definition.States.CopyToMultipleBuckets;
        expect(map.MaxConcurrency).to.equal(10);
        expect(map.ItemProcessor.States.CopyObject.Retry).to.deep.equal([{ ErrorEquals: ["States.ALL"], MaxAttempts: 3, IntervalSeconds: 2, BackoffRate: 2 }]);
        expect(definition.States.LogWorkflowStart.Retry[0]).to.include({ MaxAttempts: 3, IntervalSeconds: 1 });
        expect(definition.States.UpdateDynamoDBFinal.Retry[0]).to.include({ MaxAttempts: 3, IntervalSeconds: 1 });
        expect(definition.States.SendFailureNotification.Retry[0]).to.include({ MaxAttempts: 2, IntervalSeconds: 1 });
    });

    it("one destination that succeeds (the README's example): AllCopiesSuccessful, a COMPLETED record, no notification", async () => {
        const outcome = await runOnBothTargets(["region-a"], () => undefined);
        expect(outcome.error).to.equal(undefined);
        expect(outcome.entered).to.include("AllCopiesSuccessful").and.not.include("SendFailureNotification");
        expect(outcome.record).to.deep.equal({
            fileKey: { S: "builds/build 42+final.zip" },
            sourceBucket: { S: "global-builds" },
            executionId: { S: EXECUTION_ID },
            status: { S: "COMPLETED" },
            completionTime: { S: COMPLETION_TIME },
            totalBuckets: { N: "1" },
            successfulCopies: { N: "1" },
            failedCopies: { N: "0" },
            succeededBuckets: { S: JSON.stringify(["region-a"]) },
            failedBuckets: { S: "[]" },
            results: { S: JSON.stringify([{ bucket: "region-a", status: "SUCCEEDED" }]) },
            destinationBuckets: { S: JSON.stringify(["region-a"]) },
        });
        expect(outcome.startRecord).to.deep.equal({
            fileKey: { S: "builds/build 42+final.zip" },
            sourceBucket: { S: "global-builds" },
            executionId: { S: EXECUTION_ID },
            status: { S: "IN_PROGRESS" },
            destinationBuckets: { S: JSON.stringify(["region-a"]) },
        });
        expect(outcome.messages).to.have.length(0);
    });

    it("one destination that fails: a FAILED record and a notification naming the bucket and the error", async () => {
        const outcome = await runOnBothTargets(["region-a"], accessDenied);
        expect(outcome.error).to.include("At least one destination bucket did not receive the file");
        expect(outcome.record).to.deep.include({
            status: { S: "FAILED" }, totalBuckets: { N: "1" }, successfulCopies: { N: "0" }, failedCopies: { N: "1" },
            succeededBuckets: { S: "[]" }, failedBuckets: { S: JSON.stringify(["region-a"]) },
        });
        expect(JSON.parse(outcome.record.results.S!)).to.deep.equal([
            { bucket: "region-a", status: "FAILED", error: "AccessDenied", cause: "Access Denied writing to region-a" },
        ]);
        expect(outcome.messages).to.have.length(1);
        expect(outcome.messages[0].Subject).to.equal("File copy failed: 1 of 1 destinations");
        expect(outcome.messages[0].Message).to.include("region-a").and.include("AccessDenied");
    });

    it("two destinations, one failing: SomeCopiesFailed, PARTIALLY_FAILED, and the message names the bucket and error", async () => {
        const outcome = await runOnBothTargets(["region-a", "region-b"], bucket => bucket === "region-b" ? accessDenied(bucket) : undefined);
        expect(outcome.error).to.include("At least one destination bucket did not receive the file");
        expect(outcome.entered).to.include.members(["SendFailureNotification", "SomeCopiesFailed"]);
        expect(outcome.record).to.deep.include({
            status: { S: "PARTIALLY_FAILED" }, totalBuckets: { N: "2" }, successfulCopies: { N: "1" }, failedCopies: { N: "1" },
            succeededBuckets: { S: JSON.stringify(["region-a"]) }, failedBuckets: { S: JSON.stringify(["region-b"]) },
        });
        expect(JSON.parse(outcome.record.results.S!)).to.deep.equal([
            { bucket: "region-a", status: "SUCCEEDED" },
            { bucket: "region-b", status: "FAILED", error: "AccessDenied", cause: "Access Denied writing to region-b" },
        ]);
        // 1 attempt + 3 retries before the Catch records the failure.
        expect(outcome.copyCalls.filter(bucket => bucket === "region-b")).to.have.length(4);
        expect(outcome.messages).to.have.length(1);
        const [message] = outcome.messages;
        expect(message.Subject).to.equal("File copy failed: 1 of 2 destinations");
        expect(message.Subject).to.match(/^[\x20-\x7e]{1,100}$/);
        expect(message.Message).to.include("s3://global-builds/builds/build 42+final.zip")
            .and.include("region-b").and.include("AccessDenied").and.include(EXECUTION_ID).and.include("wf-file-copy-tracking").and.include("❌");
    });

    it("ten destinations, all failing: a FAILED record listing every bucket and one notification", async () => {
        const outcome = await runOnBothTargets(regions(10), accessDenied);
        expect(outcome.error).to.include("At least one destination bucket did not receive the file");
        expect(outcome.record).to.deep.include({
            status: { S: "FAILED" }, totalBuckets: { N: "10" }, successfulCopies: { N: "0" }, failedCopies: { N: "10" },
            succeededBuckets: { S: "[]" }, failedBuckets: { S: JSON.stringify(regions(10)) },
        });
        expect(outcome.messages).to.have.length(1);
        expect(outcome.messages[0].Subject).to.equal("File copy failed: 10 of 10 destinations");
        expect(outcome.messages[0].Message).to.include("region-j");
    });

    it("three destinations, all succeeding (nothing failed to list): a COMPLETED record", async () => {
        const outcome = await runOnBothTargets(regions(3), () => undefined);
        expect(outcome.error).to.equal(undefined);
        expect(outcome.record).to.deep.include({
            status: { S: "COMPLETED" }, totalBuckets: { N: "3" }, successfulCopies: { N: "3" }, failedCopies: { N: "0" },
            succeededBuckets: { S: JSON.stringify(regions(3)) }, failedBuckets: { S: "[]" },
            results: { S: JSON.stringify(regions(3).map(bucket => ({ bucket, status: "SUCCEEDED" }))) },
        });
        expect(outcome.messages).to.have.length(0);
    });

    it("transient then succeed: the copy is retried and the run succeeds", async () => {
        const outcome = await runOnBothTargets(["region-a"], (bucket, attempt) => attempt <= 2 ? accessDenied(bucket) : undefined);
        expect(outcome.error).to.equal(undefined);
        expect(outcome.copyCalls).to.deep.equal(["region-a", "region-a", "region-a"]);
        expect(outcome.entered).to.include("AllCopiesSuccessful");
        expect(outcome.record.status).to.deep.equal({ S: "COMPLETED" });
    });

    it("notification fails: ends in NotificationFailed after 1 + 2 publish attempts", async () => {
        const outcome = await runOnBothTargets(regions(3), bucket => bucket === "region-c" ? accessDenied(bucket) : undefined, true);
        expect(outcome.error).to.include("failure notification could not be published");
        expect(outcome.publishAttempts).to.equal(3);
        expect(outcome.entered).to.include("NotificationFailed").and.not.include("SomeCopiesFailed");
        expect(outcome.record.status).to.deep.equal({ S: "PARTIALLY_FAILED" });
    });
});
