import { expect } from "chai";
import { FileCopyWorkflow } from "../../components/file-copy-workflow";
import { FailureNotification, failureNotificationHandler } from "../../functions/file-copy/failure-notification";
import { awsRule, localStackRule, withJsonPathRule } from "../support/jsonpath-rules";
import { StateMachine as LocalStateMachine } from "../support/local-stepfunctions";
import { one, promiseOf, resourcesUnder } from "../support/pulumi";

// asl-validator ships no type declarations.
const aslModule = require("asl-validator");
const aslValidator: (definition: unknown) => { isValid: boolean; errorsText: () => string } = aslModule.default ?? aslModule;

type Attribute = { S?: string; N?: string };
type Item = Record<string, Attribute>;
interface PublishedMessage { TopicArn: string; Subject: string; Message: string }

const EXECUTION_ID = "arn:aws:states:us-east-1:123456789012:execution:wf-file-copy-workflow:5c1b8e0e-7f7a-4c55-9d43-2f5e3c1d9b7a";
const COMPLETION_TIME = "2026-01-01T00:00:05.000Z";

/** Applies `SET a = :a, #b = :b` the way DynamoDB would, enough for the definition's one update. */
function applyUpdate(item: Item, expression: string, names: Record<string, string>, values: Record<string, Attribute>): void {
    for (const assignment of expression.replace(/^SET /, "").split(",")) {
        const [name, value] = assignment.split("=").map(part => part.trim());
        item[names[name] ?? name] = values[value];
    }
}

/** What FormatFailureNotification does: the real formatter, or an error it throws. */
type Formatter = (payload: unknown) => Promise<FailureNotification>;

/** In-memory DynamoDB, S3 copy, formatter and SNS behind the definition's Task states. */
class FakeServices {
    readonly table = new Map<string, Item>();
    readonly messages: PublishedMessage[] = [];
    readonly startRecords: Item[] = [];
    readonly copyCalls: string[] = [];
    formatAttempts = 0;
    publishAttempts = 0;

    constructor(private readonly copy: (bucket: string, attempt: number) => void, private readonly format: Formatter, private readonly publishFails = false) {}

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
            FormatFailureNotification: async input => {
                this.formatAttempts += 1;
                return { StatusCode: 200, Payload: await this.format(input.Payload) };
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

/** A function error as Step Functions reports it: Error is the errorType, Cause the function's error document. */
function lambdaError(errorType: string, errorMessage: string, trace = [`${errorType}: ${errorMessage}`]): never {
    throw Object.assign(new Error(JSON.stringify({ errorType, errorMessage, trace })), { name: errorType });
}

/** What the copy function reports for S3's AccessDenied (functions/file-copy/copy-object.ts conciseError). */
function accessDenied(bucket: string): never {
    return lambdaError("AccessDenied", `Access Denied writing to ${bucket}`);
}

const causeOf = (errorType: string, errorMessage: string) => JSON.stringify({ errorType, errorMessage, trace: [`${errorType}: ${errorMessage}`] });

/** What a user can see of one run: how it ended, the states it went through, the tracking record and the notifications. */
interface Outcome {
    error?: string;
    entered: string[];
    record: Item;
    startRecord: Item;
    messages: PublishedMessage[];
    formatAttempts: number;
    publishAttempts: number;
    copyCalls: string[];
}

const withoutStartTime = ({ startTime, ...rest }: Item): Item => {
    // The emulator sets $$.Execution.StartTime itself, so only its shape is checked.
    expect(startTime.S).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    return rest;
};

const regions = (count: number) => Array.from({ length: count }, (_, index) => `region-${String.fromCharCode(97 + index)}`);

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

describe("FileCopyWorkflow state machine (asl-validator + aws-local-stepfunctions)", () => {
    let definition: Record<string, any>;
    let machine: InstanceType<typeof LocalStateMachine>;
    let formatter: Formatter;

    before(async () => {
        const workflow = new FileCopyWorkflow("wf-file-copy", {
            platform: { namePrefix: "wf", local: true },
            sourceBuckets: [{ name: "global-builds", arn: "arn:aws:s3:::global-builds" }],
            destinationBuckets: regions(10).map(name => ({ name, arn: `arn:aws:s3:::${name}` })),
        });
        await promiseOf(workflow.stateMachineArn);
        const resources = await resourcesUnder("wf-file-copy");
        definition = JSON.parse(one(resources, "aws:sfn/stateMachine:StateMachine").inputs.definition);
        // Built outside any rule swap: the constructor's asl-validator queries jsonpath-plus too.
        machine = new LocalStateMachine(definition as any);
        // The formatter with the settings the deployed function gets.
        const formatFunction = one(resources, "aws:lambda/function:Function", fn => fn.inputs.name === "wf-format-failure-notification");
        Object.assign(process.env, formatFunction.inputs.environment.variables);
        formatter = failureNotificationHandler() as Formatter;
    });

    async function run(services: FakeServices, destinationBuckets: string[], sourceKey: string): Promise<Outcome> {
        const execution = machine.run({ sourceBucket: "global-builds", sourceKey, destinationBuckets }, {
            overrides: {
                taskResourceLocalHandlers: services.handlers(),
                retryIntervalOverrides: { LogWorkflowStart: 0, CopyObject: 0, UpdateDynamoDBFinal: 0, FormatFailureNotification: 0, SendFailureNotification: 0 },
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
            formatAttempts: services.formatAttempts,
            publishAttempts: services.publishAttempts,
            copyCalls: [...services.copyCalls].sort(),
        };
    }

    interface Scenario {
        copy: (bucket: string, attempt: number) => void;
        /** Default: the real formatter. */
        format?: Formatter;
        publishFails?: boolean;
        sourceKey?: string;
    }

    /** The run under AWS's JSONPath rule and under LocalStack 4.14's; a user must not be able to tell them apart. */
    async function runOnBothTargets(destinationBuckets: string[], scenario: Scenario): Promise<Outcome> {
        const once = () => run(new FakeServices(scenario.copy, scenario.format ?? formatter, scenario.publishFails), destinationBuckets, scenario.sourceKey ?? "builds/build 42+final.zip");
        const aws = await withJsonPathRule(awsRule, once);
        const localStack = await withJsonPathRule(localStackRule, once);
        expect(localStack, "the run under LocalStack 4.14's JSONPath vs under AWS's").to.deep.equal(aws);
        return aws;
    }

    it("passes asl-validator", () => {
        const { isValid, errorsText } = aslValidator(definition);
        expect(isValid, errorsText()).to.equal(true);
    });

    it("keeps the seed's states, Map concurrency and retries, with the notification written by a formatter", () => {
        expect(Object.keys(definition.States)).to.have.members([
            "ValidateInput", "LogWorkflowStart", "CopyToMultipleBuckets", "ChooseStatus", "StatusCompleted", "StatusFailed",
            "StatusPartiallyFailed", "ProcessResults", "UpdateDynamoDBFinal", "CheckIfAllSuccessful", "AllCopiesSuccessful",
            "FormatFailureNotification", "FormatPlainFailureNotification", "SendFailureNotification", "SomeCopiesFailed", "NotificationFailed",
        ]);
        const map = definition.States.CopyToMultipleBuckets;
        expect(map.MaxConcurrency).to.equal(10);
        expect(map.ItemProcessor.States.CopyObject.Retry).to.deep.equal([{ ErrorEquals: ["States.ALL"], MaxAttempts: 3, IntervalSeconds: 2, BackoffRate: 2 }]);
        expect(definition.States.LogWorkflowStart.Retry[0]).to.include({ MaxAttempts: 3, IntervalSeconds: 1 });
        expect(definition.States.UpdateDynamoDBFinal.Retry[0]).to.include({ MaxAttempts: 3, IntervalSeconds: 1 });
        expect(definition.States.SendFailureNotification.Retry[0]).to.include({ MaxAttempts: 2, IntervalSeconds: 1 });
        expect(definition.States.FormatFailureNotification.Retry[0].ErrorEquals).to.not.include("States.ALL");
    });

    it("writes every intrinsic string literal the way LocalStack's lexer reads it: no control characters, no braces but {}", () => {
        // LocalStack's ASLIntrinsicLexer.g4: a STRING holds no U+0000-U+001F; States.Format runs Python str.format.
        const intrinsics = (node: unknown): string[] => typeof node !== "object" || node === null ? [] : Object.entries(node).flatMap(([key, value]) =>
            typeof value !== "string" ? intrinsics(value) : key.endsWith(".$") && value.startsWith("States.") ? [value] : []);
        const literals = intrinsics(definition).flatMap(expression => expression.match(/'(?:[^'\\]|\\.)*'/g) ?? []);
        expect(literals.length).to.be.above(3);
        for (const literal of literals) {
            expect(literal, literal).to.not.match(/\p{Cc}/u);
            expect(literal.replace(/\{\}/g, ""), literal).to.not.match(/[{}]/);
        }
    });

    it("one destination that succeeds (the README's example): AllCopiesSuccessful, a COMPLETED record, no notification", async () => {
        const outcome = await runOnBothTargets(["region-a"], { copy: () => undefined });
        expect(outcome.error).to.equal(undefined);
        expect(outcome.entered).to.include("AllCopiesSuccessful").and.not.include("FormatFailureNotification");
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

    it("one destination that fails: a FAILED record and a notification naming the file, the bucket and the error", async () => {
        const outcome = await runOnBothTargets(["region-a"], { copy: accessDenied });
        expect(outcome.error).to.include("At least one destination bucket did not receive the file");
        expect(outcome.record).to.deep.include({
            status: { S: "FAILED" }, totalBuckets: { N: "1" }, successfulCopies: { N: "0" }, failedCopies: { N: "1" },
            succeededBuckets: { S: "[]" }, failedBuckets: { S: JSON.stringify(["region-a"]) },
        });
        expect(JSON.parse(outcome.record.results.S!)).to.deep.equal([
            { bucket: "region-a", status: "FAILED", error: "AccessDenied", cause: causeOf("AccessDenied", "Access Denied writing to region-a") },
        ]);
        expect(outcome.messages).to.have.length(1);
        expect(outcome.messages[0].Subject).to.equal("File copy failed: 1 of 1 destinations for builds/build 42+final.zip");
        expect(outcome.messages[0].Message).to.include("• region-a — AccessDenied: Access Denied writing to region-a\n");
    });

    it("two destinations, one failing: SomeCopiesFailed, PARTIALLY_FAILED, and the report a person reads (the README's example)", async () => {
        const outcome = await runOnBothTargets(["region-a", "region-b"], { copy: bucket => bucket === "region-b" ? accessDenied(bucket) : undefined });
        expect(outcome.error).to.include("At least one destination bucket did not receive the file");
        expect(outcome.entered).to.include.members(["FormatFailureNotification", "SendFailureNotification", "SomeCopiesFailed"]);
        expect(outcome.record).to.deep.include({
            status: { S: "PARTIALLY_FAILED" }, totalBuckets: { N: "2" }, successfulCopies: { N: "1" }, failedCopies: { N: "1" },
            succeededBuckets: { S: JSON.stringify(["region-a"]) }, failedBuckets: { S: JSON.stringify(["region-b"]) },
        });
        expect(JSON.parse(outcome.record.results.S!)).to.deep.equal([
            { bucket: "region-a", status: "SUCCEEDED" },
            { bucket: "region-b", status: "FAILED", error: "AccessDenied", cause: causeOf("AccessDenied", "Access Denied writing to region-b") },
        ]);
        // 1 attempt + 3 retries before the Catch records the failure.
        expect(outcome.copyCalls.filter(bucket => bucket === "region-b")).to.have.length(4);
        expect(outcome.messages).to.deep.equal([{
            TopicArn: "arn:aws:sns:us-east-1:123456789012:wf-file-copy-failures",
            Subject: "File copy failed: 1 of 2 destinations for builds/build 42+final.zip",
            Message: [
                "⚠️ File copy failed for 1 of 2 destinations (status PARTIALLY_FAILED)",
                "",
                "📄 File: s3://global-builds/builds/build 42+final.zip",
                "❌ Failed (1):",
                "• region-b — AccessDenied: Access Denied writing to region-b",
                "✅ Succeeded (1): region-a",
                "",
                "🔍 Where to look",
                `🆔 Execution: ${EXECUTION_ID}`,
                `🖥️ Console: https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${EXECUTION_ID}`,
                "🗂️ Tracking record: DynamoDB table wf-file-copy-tracking, this fileKey and sourceBucket",
                "📜 Full errors with stack traces: CloudWatch Logs /aws/lambda/wf-copy-object",
            ].join("\n"),
        }]);
    });

    it("ten destinations failing with long messages and stack traces: one line per bucket, no stack frame, within 2 KB", async () => {
        const longMessage = (bucket: string) => `The request to ${bucket} was refused: “${"policy denies s3:PutObject; ".repeat(20)}” ✗ \u{1F4E6}\n\tsee "details" \\ end`;
        const trace = Array.from({ length: 10 }, (_, index) => `    at frame${index} (/var/task/__index.js:${index + 1}:17)`);
        const outcome = await runOnBothTargets(regions(10), {
            copy: bucket => bucket === "region-j" ? lambdaError("Sandbox.Timedout", "RequestId: 1 Error: Task timed out after 60.00 seconds", [])
                : lambdaError("AccessDenied", longMessage(bucket), [`AccessDenied: ${longMessage(bucket)}`, ...trace]),
            sourceKey: `releases/${"nightly-ünïcödé-".repeat(20)}build.zip`,
        });
        expect(outcome.record).to.deep.include({
            status: { S: "FAILED" }, totalBuckets: { N: "10" }, successfulCopies: { N: "0" }, failedCopies: { N: "10" },
            succeededBuckets: { S: "[]" }, failedBuckets: { S: JSON.stringify(regions(10)) },
        });
        expect(outcome.messages).to.have.length(1);
        const [{ Subject, Message }] = outcome.messages;
        console.log(`      ten long failures: ${bytes(Message)} bytes, subject ${Subject.length} characters`);
        expect(bytes(Message)).to.be.at.most(2048);
        expect(Subject).to.match(/^File copy failed: 10 of 10 destinations for releases\/nightly-unicode-.*\.\.\..*build\.zip$/);
        expect(Subject).to.match(/^[\x20-\x7e]{1,99}$/);
        expect(Message).to.not.match(/at frame\d|"trace"|errorMessage/);
        const lines = Message.split("\n").filter(line => line.startsWith("• "));
        expect(lines.map(line => line.split(" ")[1])).to.deep.equal(regions(10));
        for (const line of lines.slice(0, 9)) {
            expect(line).to.match(/^• region-[a-i] — AccessDenied: The request to region-[a-i] was refused: “policy denies/).and.match(/…$/);
            expect(Array.from(line).length).to.be.at.most(200);
        }
        expect(lines[9]).to.equal("• region-j — Sandbox.Timedout: RequestId: 1 Error: Task timed out after 60.00 seconds");
        expect(Message).to.include(`🆔 Execution: ${EXECUTION_ID}`).and.include("region=us-east-1#/v2/executions/details/");
    });

    it("keeps the tracking record's results valid JSON when causes hold quotes, backslashes, newlines and unicode", async () => {
        const awkward = "quote \" apostrophe ' backslash \\ newline \n tab \t braces {} ünï ☃ \u{1F4A5} \u2028 end";
        const outcome = await runOnBothTargets(["region-a", "region-b"], { copy: bucket => bucket === "region-a" ? lambdaError("Weird\"Error", awkward) : undefined });
        expect(JSON.parse(outcome.record.results.S!)).to.deep.equal([
            { bucket: "region-a", status: "FAILED", error: "Weird\"Error", cause: causeOf("Weird\"Error", awkward) },
            { bucket: "region-b", status: "SUCCEEDED" },
        ]);
        const line = outcome.messages[0].Message.split("\n").find(text => text.startsWith("• region-a"));
        expect(line).to.equal("• region-a — Weird\"Error: quote \" apostrophe ' backslash \\ newline tab braces {} ünï ☃ \u{1F4A5} end");
    });

    it("transient then succeed: the copy is retried and the run succeeds", async () => {
        const outcome = await runOnBothTargets(["region-a"], { copy: (bucket, attempt) => attempt <= 2 ? accessDenied(bucket) : undefined });
        expect(outcome.error).to.equal(undefined);
        expect(outcome.copyCalls).to.deep.equal(["region-a", "region-a", "region-a"]);
        expect(outcome.entered).to.include("AllCopiesSuccessful");
        expect(outcome.record.status).to.deep.equal({ S: "COMPLETED" });
    });

    it("formatter unavailable: retried twice, then a plainer one-line notification still goes out", async () => {
        const outcome = await runOnBothTargets(regions(3), {
            copy: bucket => bucket === "region-c" ? accessDenied(bucket) : undefined,
            format: async () => lambdaError("Lambda.ServiceException", "Lambda is unavailable"),
        });
        expect(outcome.formatAttempts).to.equal(3);
        expect(outcome.entered).to.include.members(["FormatPlainFailureNotification", "SomeCopiesFailed"]);
        expect(outcome.messages).to.deep.equal([{
            TopicArn: "arn:aws:sns:us-east-1:123456789012:wf-file-copy-failures",
            Subject: "File copy failed: 1 of 3 destinations",
            Message: "⚠️ File copy failed for 1 of 3 destinations (status PARTIALLY_FAILED). File: s3://global-builds/builds/build 42+final.zip. "
                + `Failed: ["region-c"]. Execution: ${EXECUTION_ID} - console: https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${EXECUTION_ID} - `
                + "errors per bucket: DynamoDB table wf-file-copy-tracking, this fileKey and sourceBucket. (Plain report: the detailed one failed with Lambda.ServiceException.)",
        }]);
    });

    it("formatter rejects its input: not retried, the plain notification goes out", async () => {
        const outcome = await runOnBothTargets(["region-a"], {
            copy: accessDenied,
            format: async () => lambdaError("InvalidRunSummary", "Not a file-copy run summary: failures: Expected an array"),
        });
        expect(outcome.formatAttempts).to.equal(1);
        expect(outcome.messages.map(message => message.Subject)).to.deep.equal(["File copy failed: 1 of 1 destinations"]);
        expect(outcome.messages[0].Message).to.include("the detailed one failed with InvalidRunSummary");
    });

    it("notification fails: ends in NotificationFailed after 1 + 2 publish attempts", async () => {
        const outcome = await runOnBothTargets(regions(3), { copy: bucket => bucket === "region-c" ? accessDenied(bucket) : undefined, publishFails: true });
        expect(outcome.error).to.include("failure notification could not be published");
        expect(outcome.publishAttempts).to.equal(3);
        expect(outcome.entered).to.include("NotificationFailed").and.not.include("SomeCopiesFailed");
        expect(outcome.record.status).to.deep.equal({ S: "PARTIALLY_FAILED" });
    });
});
