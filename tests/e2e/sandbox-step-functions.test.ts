import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Identities } from "../../sandbox/iam/identity";
import { DescribeExecutionCommand, DescribeExecutionCommandOutput, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from "@aws-sdk/client-sfn";
import { expect } from "chai";
import { createHash } from "crypto";
import * as http from "http";
import type { AddressInfo } from "net";
import { Clock } from "../../sandbox/clock";
import type { FunctionRuntime, SandboxService } from "../../sandbox/cloud";
import type { RecordedResource } from "../../sandbox/mock-cloud";
import { selfServing } from "../../sandbox/provider";
import { ProviderRegistry } from "../../sandbox/router";
import { DynamoDbService } from "../../sandbox/services/dynamodb";
import { createStepFunctionsService } from "../../sandbox/services/stepfunctions";
import { useRealSdkClients } from "../support/real-sdk-clients";

const REGION = "us-east-1";
const ACCOUNT = "000000000000";
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
/** A configured second lasts 1 ms: retries and waits take milliseconds. */
const CLOCK = new Clock(0.001);
const fnArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

function stateMachineResource(name: string, definition: object): RecordedResource {
    const arn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
    return {
        type: "aws:sfn/stateMachine:StateMachine", name, urn: `urn:pulumi:mock::aws:sfn/stateMachine:StateMachine::${name}`, id: arn,
        inputs: { name, definition: JSON.stringify(definition), roleArn: `arn:aws:iam::${ACCOUNT}:role/${name}-role`, type: "STANDARD" },
        state: { name, arn },
    };
}

/** Functions by name; each receives the payload and may throw an error whose name Step Functions sees. */
function fakeFunctions(handlers: Record<string, (payload: any) => Promise<unknown>>): FunctionRuntime {
    return {
        invoke: async (nameOrArn, payload) => handlers[nameOrArn.split(":").pop()!](payload),
        invokeAsync: () => undefined,
    };
}

async function serve(service: SandboxService): Promise<{ server: http.Server; url: string }> {
    const server = http.createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const chunk of req) {
            chunks.push(chunk as Buffer);
        }
        if (!await service.handle(req, Buffer.concat(chunks), res)) {
            res.writeHead(404).end();
        }
    });
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function finished(sfn: SFNClient, executionArn: string, deadlineMs = 10_000): Promise<DescribeExecutionCommandOutput> {
    const deadline = Date.now() + deadlineMs;
    for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
        const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        if (execution.status !== "RUNNING") {
            return execution;
        }
        if (Date.now() > deadline) {
            throw new Error(`${executionArn} still RUNNING after ${deadlineMs} ms`);
        }
        await new Promise(resolve => setTimeout(resolve, delay));
    }
}

describe("sandbox Step Functions service", () => {
    const calls: Record<string, number> = {};
    const releaseParked: ((value: unknown) => void)[] = [];
    const functions = fakeFunctions({
        // Fails its first call with a named error, then succeeds: exercises Retry on ErrorEquals.
        flaky: async payload => {
            calls.flaky = (calls.flaky ?? 0) + 1;
            if (calls.flaky === 1) {
                throw Object.assign(new Error("warming up"), { name: "TransientError" });
            }
            return { ...payload, attempts: calls.flaky };
        },
        broken: async () => {
            throw Object.assign(new Error("disk on fire"), { name: "FatalError" });
        },
        // Runs until the test releases it, to observe RUNNING executions.
        parked: () => new Promise(resolve => releaseParked.push(resolve)),
        copy: async bucket => {
            if (bucket === "missing") {
                throw Object.assign(new Error("The specified bucket does not exist"), { name: "NoSuchBucket" });
            }
            return "SUCCEEDED";
        },
    });
    const tableName = "tracking";
    const machines = [
        stateMachineResource("retrying", {
            StartAt: "Flaky",
            States: {
                Flaky: { Type: "Task", Resource: fnArn("flaky"), Retry: [{ ErrorEquals: ["TransientError"], IntervalSeconds: 1, MaxAttempts: 2 }], End: true },
            },
        }),
        stateMachineResource("catching", {
            StartAt: "Broken",
            States: {
                Broken: { Type: "Task", Resource: fnArn("broken"), Catch: [{ ErrorEquals: ["FatalError"], ResultPath: "$.failure", Next: "Recorded" }], End: true },
                Recorded: { Type: "Pass", End: true },
            },
        }),
        stateMachineResource("uncaught", {
            StartAt: "Invoke",
            States: {
                Invoke: { Type: "Task", Resource: "arn:aws:states:::lambda:invoke", Parameters: { FunctionName: fnArn("broken"), "Payload.$": "$" }, End: true },
            },
        }),
        stateMachineResource("mapping", {
            StartAt: "Prepare",
            States: {
                Prepare: { Type: "Pass", Next: "CopyAll" },
                CopyAll: {
                    Type: "Map", ItemsPath: "$.buckets", MaxConcurrency: 1, ResultPath: "$.results",
                    ItemProcessor: {
                        StartAt: "Copy",
                        States: {
                            Copy: {
                                Type: "Task", Resource: "arn:aws:states:::lambda:invoke", Parameters: { FunctionName: fnArn("copy"), "Payload.$": "$" },
                                ResultSelector: { "status.$": "$.Payload" }, Catch: [{ ErrorEquals: ["States.ALL"], Next: "RecordFailure" }], End: true,
                            },
                            RecordFailure: { Type: "Pass", Result: { status: "FAILED" }, End: true },
                        },
                    },
                    Next: "Check",
                },
                Check: { Type: "Choice", Choices: [{ Variable: "$.results[1].status", StringEquals: "FAILED", Next: "SomeCopiesFailed" }], Default: "Done" },
                Done: { Type: "Succeed" },
                SomeCopiesFailed: { Type: "Fail", Error: "SomeCopiesFailed", Cause: "a copy failed" },
            },
        }),
        stateMachineResource("backing-off", {
            StartAt: "Pause",
            States: {
                Pause: { Type: "Wait", Seconds: 7, Next: "Broken" },
                // The file-copy workflow's copy retry: 3 attempts from 2 s, backoff 2.
                Broken: { Type: "Task", Resource: fnArn("broken"), Retry: [{ ErrorEquals: ["States.ALL"], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 3 }], End: true },
            },
        }),
        stateMachineResource("parking", {
            StartAt: "Park",
            States: { Park: { Type: "Task", Resource: fnArn("parked"), End: true } },
        }),
        stateMachineResource("shaping", {
            StartAt: "Stamp",
            States: {
                Stamp: { Type: "Pass", Parameters: { "results.$": "$.results", "startTime.$": "$$.State.EnteredTime", "executionId.$": "$$.Execution.Id" }, Next: "Summarize" },
                Summarize: {
                    Type: "Pass",
                    Parameters: {
                        "failedBuckets.$": "$.results[?(@.status == 'FAILED')].bucket",
                        "succeededBuckets.$": "$.results[?(@.status == 'SUCCEEDED')].bucket",
                        "failedCount.$": "States.ArrayLength($.results[?(@.status == 'FAILED')])",
                        "startTime.$": "$.startTime", "executionId.$": "$.executionId",
                    },
                    Next: "Enqueue",
                },
                Enqueue: {
                    Type: "Task", Resource: "arn:aws:states:::sqs:sendMessage",
                    Parameters: { QueueUrl: "http://queue.local/000000000000/summaries", "MessageBody.$": "$" },
                    ResultSelector: { "messageId.$": "$.MessageId" }, ResultPath: "$.enqueued", End: true,
                },
            },
        }),
        stateMachineResource("intrinsics", {
            StartAt: "Render",
            States: {
                Render: {
                    Type: "Pass",
                    Parameters: {
                        "json.$": "States.JsonToString($.value)",
                        "roundTrip.$": "States.StringToJson(States.JsonToString($.value))",
                        "quoted.$": "States.Format('\\'{}\\' \\{\\} in {}', $.value.text, States.JsonToString($.value.list))",
                        "listed.$": "States.Format('{} and {}', $.value.list, $.value.nested)",
                        "items.$": "States.Array('a, b)', $.value.text, 3, null)",
                    },
                    End: true,
                },
            },
        }),
        stateMachineResource("storing", {
            StartAt: "Store",
            States: {
                Store: {
                    Type: "Task", Resource: "arn:aws:states:::dynamodb:putItem",
                    Parameters: {
                        TableName: tableName,
                        Item: { fileKey: { "S.$": "$.key" }, executionId: { "S.$": "$$.Execution.Id" } },
                        ConditionExpression: "attribute_not_exists(fileKey)",
                    },
                    ResultPath: null,
                    Catch: [{ ErrorEquals: ["DynamoDB.ConditionalCheckFailedException"], ResultPath: "$.duplicate", Next: "Duplicate" }],
                    Next: "Stored",
                },
                Stored: { Type: "Succeed" },
                Duplicate: { Type: "Pass", End: true },
            },
        }),
    ];
    const queued: { QueueUrl: string; MessageBody: string }[] = [];
    let endpointRequests = 0;
    let dynamodb: DynamoDbService;
    let endpoint: http.Server;
    let sandbox: { server: http.Server; url: string };
    let service: SandboxService;
    let sfn: SFNClient;

    let handBackStubs: () => void;

    before(async () => {
        // The service and these tests use real SDK clients against local endpoints.
        handBackStubs = useRealSdkClients([SFNClient, DynamoDBClient]);
        // The sandbox's endpoint only counts requests: service integrations must reach the providers in process.
        endpoint = http.createServer((_req, res) => {
            endpointRequests += 1;
            res.writeHead(500).end();
        });
        await new Promise<void>(resolve => endpoint.listen(0, "127.0.0.1", resolve));
        const endpointUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`;
        const table: RecordedResource = { urn: `urn:pulumi:test::test::aws:dynamodb/table:Table::${tableName}`, id: tableName, type: "aws:dynamodb/table:Table", name: tableName, inputs: { attributes: [{ name: "fileKey", type: "S" }], hashKey: "fileKey", billingMode: "PAY_PER_REQUEST" }, state: { name: tableName } };
        const ctx = { endpoint: endpointUrl, region: REGION, accountId: ACCOUNT, resources: machines, functions, identities: new Identities(ACCOUNT, machines), log: () => undefined };
        dynamodb = await DynamoDbService.start({ ...ctx, resources: [table] });
        const providers = new ProviderRegistry([selfServing("dynamodb", dynamodb), {
            signingName: "sqs",
            call: async ({ operation, input }) => {
                expect(operation).to.equal("SendMessage");
                queued.push(input as { QueueUrl: string; MessageBody: string });
                return { MessageId: `msg-${queued.length}`, MD5OfMessageBody: createHash("md5").update(input.MessageBody).digest("hex") };
            },
        }]);
        service = createStepFunctionsService(ctx, { clock: CLOCK, providers });
        sandbox = await serve(service);
        sfn = new SFNClient({ endpoint: sandbox.url, region: REGION, credentials });
    });

    after(async () => {
        sfn.destroy();
        await service.close?.();
        await new Promise(resolve => sandbox.server.close(resolve));
        await new Promise(resolve => endpoint.close(resolve));
        await dynamodb.close();
        handBackStubs();
    });

    const arnOf = (name: string) => machines.find(machine => machine.name === name)!.state.arn as string;

    it("retries a Lambda task that fails once with a named error and succeeds, with the retry in the history", async () => {
        const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arnOf("retrying"), name: "retry-1", input: JSON.stringify({ build: "b1" }) }));
        expect(executionArn).to.equal(`arn:aws:states:${REGION}:${ACCOUNT}:execution:retrying:retry-1`);
        const execution = await finished(sfn, executionArn!);
        expect(execution.status).to.equal("SUCCEEDED");
        expect(JSON.parse(execution.output!)).to.deep.equal({ build: "b1", attempts: 2 });
        const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
        // A Lambda function ARN as Resource (the legacy form) reports LambdaFunction* events; each retry is scheduled anew.
        expect(events!.map(event => event.type)).to.deep.equal([
            "ExecutionStarted", "TaskStateEntered",
            "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionFailed",
            "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded",
            "TaskStateExited", "ExecutionSucceeded",
        ]);
        expect(events!.map(event => [event.id, event.previousEventId])).to.deep.equal(events!.map((_, index) => [index + 1, index]));
        expect(events![2].lambdaFunctionScheduledEventDetails).to.deep.equal({ resource: fnArn("flaky"), input: JSON.stringify({ build: "b1" }) });
        expect(events![4].lambdaFunctionFailedEventDetails?.error).to.equal("TransientError");
        expect(JSON.parse(events![7].lambdaFunctionSucceededEventDetails!.output!)).to.deep.equal({ build: "b1", attempts: 2 });
    });

    it("follows a Catch on the Lambda error's name and keeps the error document in $.failure", async () => {
        const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arnOf("catching"), input: JSON.stringify({ order: 7 }) }));
        const execution = await finished(sfn, executionArn!);
        expect(execution.status).to.equal("SUCCEEDED");
        const output = JSON.parse(execution.output!);
        expect(output.order).to.equal(7);
        expect(output.failure.Error).to.equal("FatalError");
        expect(JSON.parse(output.failure.Cause)).to.include({ errorType: "FatalError", errorMessage: "disk on fire" });
    });

    it("fails an execution whose lambda:invoke task error is not caught, with error and cause", async () => {
        const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arnOf("uncaught"), input: "{}" }));
        const execution = await finished(sfn, executionArn!);
        expect(execution.status).to.equal("FAILED");
        expect(execution.error).to.equal("FatalError");
        expect(execution.cause).to.contain("disk on fire");
        const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
        expect(events!.map(event => event.type)).to.deep.equal(["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskFailed", "ExecutionFailed"]);
        expect(events![2].taskScheduledEventDetails).to.deep.equal({ resourceType: "lambda", resource: "invoke", region: REGION, parameters: JSON.stringify({ FunctionName: fnArn("broken"), Payload: {} }) });
        expect(events![4].taskFailedEventDetails).to.deep.include({ resourceType: "lambda", resource: "invoke", error: "FatalError" });
        expect(events![5].executionFailedEventDetails).to.deep.equal({ error: "FatalError", cause: execution.cause });
        const failed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arnOf("uncaught"), statusFilter: "FAILED" }));
        expect(failed.executions!.map(item => item.executionArn)).to.deep.equal([executionArn]);
        const running = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arnOf("uncaught"), statusFilter: "RUNNING" }));
        expect(running.executions).to.deep.equal([]);
    });

    it("answers filter paths with arrays as AWS does ([] when nothing matches), fills $$.State.EnteredTime, and sends an object MessageBody as JSON", async () => {
        const input = { results: [{ bucket: "region-a", status: "SUCCEEDED" }, { bucket: "region-b", status: "SUCCEEDED" }] };
        const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arnOf("shaping"), input: JSON.stringify(input) }));
        const execution = await finished(sfn, executionArn!);
        expect(execution.status, execution.cause).to.equal("SUCCEEDED");
        const output = JSON.parse(execution.output!);
        expect(output).to.deep.include({ failedBuckets: [], succeededBuckets: ["region-a", "region-b"], failedCount: 0, executionId: executionArn, enqueued: { messageId: `msg-${queued.length}` } });
        expect(Date.parse(output.startTime)).to.be.within(execution.startDate!.getTime() - 1000, Date.now());
        const sent = queued[queued.length - 1];
        expect(sent.QueueUrl).to.equal("http://queue.local/000000000000/summaries");
        expect(JSON.parse(sent.MessageBody)).to.deep.include({ failedBuckets: [], failedCount: 0 });

        const oneFailure = { results: [{ bucket: "region-a", status: "FAILED" }] };
        const second = await sfn.send(new StartExecutionCommand({ stateMachineArn: arnOf("shaping"), input: JSON.stringify(oneFailure) }));
        expect(JSON.parse((await finished(sfn, second.executionArn!)).output!)).to.deep.include({ failedBuckets: ["region-a"], succeededBuckets: [], failedCount: 1 });
    });

    it("renders intrinsics as AWS does: JsonToString is valid JSON for quotes, backslashes, control characters and unicode; Format resolves only literal escapes", async () => {
        const text = "say \"hi\" C:\\temp\n\ttab \u0001 ünïcode ✓ {}";
        const value = { text, list: ["x\"y", 2], nested: { flag: true, none: null } };
        const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arnOf("intrinsics"), input: JSON.stringify({ value }) }));
        const execution = await finished(sfn, executionArn!);
        expect(execution.status, execution.cause).to.equal("SUCCEEDED");
        const output = JSON.parse(execution.output!);
        expect(JSON.parse(output.json)).to.deep.equal(value);
        expect(output.roundTrip).to.deep.equal(value);
        expect(output.quoted).to.equal(`'${text}' {} in ["x\\"y",2]`);
        expect(output.listed).to.equal("[x\"y, 2] and {flag=true, none=null}");
        expect(output.items).to.deep.equal(["a, b)", text, 3, null]);
    });

    it("writes the item of a dynamodb:putItem task and names a failed condition DynamoDB.ConditionalCheckFailedException", async () => {
        const first = await sfn.send(new StartExecutionCommand({ stateMachineArn: arnOf("storing"), name: "store-1", input: JSON.stringify({ key: "build-1.zip" }) }));
        expect((await finished(sfn, first.executionArn!)).status).to.equal("SUCCEEDED");
        const { Item } = await dynamodb.call({ operation: "GetItem", input: { TableName: tableName, Key: { fileKey: { S: "build-1.zip" } } } });
        expect(Item).to.deep.equal({ fileKey: { S: "build-1.zip" }, executionId: { S: first.executionArn } });

        const second = await sfn.send(new StartExecutionCommand({ stateMachineArn: arnOf("storing"), name: "store-2", input: JSON.stringify({ key: "build-1.zip" }) }));
        const execution = await finished(sfn, second.executionArn!);
        expect(execution.status).to.equal("SUCCEEDED");
        expect(JSON.parse(execution.output!).duplicate.Error).to.equal("DynamoDB.ConditionalCheckFailedException");
        expect(endpointRequests, "HTTP requests to the sandbox's endpoint").to.equal(0);
    });

    it("records a Map run with AWS's event types, ends a Fail state with ExecutionFailed, and pages the history", async () => {
        const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arnOf("mapping"), input: JSON.stringify({ buckets: ["region-a", "missing"] }) }));
        expect((await finished(sfn, executionArn!)).status).to.equal("FAILED");
        const { events, nextToken } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
        expect(nextToken).to.equal(undefined);
        expect(events!.map(event => event.type)).to.deep.equal([
            "ExecutionStarted", "PassStateEntered", "PassStateExited", "MapStateEntered", "MapStateStarted",
            "MapIterationStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited", "MapIterationSucceeded",
            "MapIterationStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskFailed", "TaskStateExited", "PassStateEntered", "PassStateExited", "MapIterationSucceeded",
            "MapStateSucceeded", "MapStateExited", "ChoiceStateEntered", "ChoiceStateExited", "FailStateEntered", "ExecutionFailed",
        ]);
        const byType = (type: string) => events!.filter(event => event.type === type);
        expect(byType("MapStateStarted")[0].mapStateStartedEventDetails).to.deep.equal({ length: 2 });
        expect(byType("MapIterationStarted").map(event => event.mapIterationStartedEventDetails)).to.deep.equal([{ name: "CopyAll", index: 0 }, { name: "CopyAll", index: 1 }]);
        expect(byType("TaskSucceeded")[0].taskSucceededEventDetails).to.deep.equal({ resourceType: "lambda", resource: "invoke", output: JSON.stringify({ ExecutedVersion: "$LATEST", Payload: "SUCCEEDED", StatusCode: 200 }) });
        expect(byType("TaskFailed")[0].taskFailedEventDetails).to.deep.include({ error: "NoSuchBucket" });
        expect(byType("FailStateEntered")[0].stateEnteredEventDetails?.name).to.equal("SomeCopiesFailed");
        expect(events![events!.length - 1].executionFailedEventDetails).to.deep.equal({ error: "SomeCopiesFailed", cause: "a copy failed" });

        const first = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 5 }));
        expect(first.events!.map(event => event.id)).to.deep.equal([1, 2, 3, 4, 5]);
        const paged = [...first.events!];
        for (let token = first.nextToken; token;) {
            const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 5, nextToken: token }));
            paged.push(...page.events!);
            token = page.nextToken;
        }
        expect(paged.map(event => event.id)).to.deep.equal(events!.map(event => event.id));
        const newestFirst = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 2, reverseOrder: true }));
        expect(newestFirst.events!.map(event => event.type)).to.deep.equal(["ExecutionFailed", "FailStateEntered"]);
        const foreignToken = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken: newestFirst.nextToken })).catch((caught: Error) => caught);
        expect((foreignToken as Error).name).to.equal("InvalidToken");
    });

    it("hands the library the clock's durations: a 7 s Wait and retries after 2, 4 and 8 s become 7, 2, 4 and 8 ms", async () => {
        const requested: number[] = [];
        const realSetTimeout = globalThis.setTimeout;
        // Every timer asked for while the execution runs, the library's Wait and retry sleeps among them.
        globalThis.setTimeout = ((callback: () => void, ms?: number) => {
            requested.push(ms ?? 0);
            return realSetTimeout(callback, ms);
        }) as typeof setTimeout;
        try {
            const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arnOf("backing-off"), input: "{}" }));
            const execution = await finished(sfn, executionArn!);
            expect([execution.status, execution.error]).to.deep.equal(["FAILED", "FatalError"]);
        } finally {
            globalThis.setTimeout = realSetTimeout;
        }
        const waits = requested.filter(ms => [2, 4, 7, 8, 2000, 4000, 7000, 8000].includes(ms));
        expect(waits).to.deep.equal([7, 2, 4, 8]);
    });

    it("rejects a second start under a finished execution's name with ExecutionAlreadyExists", async () => {
        const stateMachineArn = arnOf("catching");
        const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: "once-only", input: "{}" }));
        await finished(sfn, executionArn!);
        const error = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: "once-only", input: "{}" })).then(() => undefined, (caught: Error) => caught);
        expect(error?.name).to.equal("ExecutionAlreadyExists");
        expect((error as any).$metadata.httpStatusCode).to.equal(400);
    });

    it("answers a repeated start of a RUNNING execution (same name and input) with that execution, and stops it as ABORTED", async () => {
        const stateMachineArn = arnOf("parking");
        const first = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: "dedupe", input: "{\"key\":\"a\"}" }));
        const repeat = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: "dedupe", input: "{\"key\":\"a\"}" }));
        expect(repeat.executionArn).to.equal(first.executionArn);
        const otherInput = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: "dedupe", input: "{\"key\":\"b\"}" })).then(() => undefined, (caught: Error) => caught);
        expect(otherInput?.name).to.equal("ExecutionAlreadyExists");
        const running = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: "RUNNING" }));
        expect(running.executions!.map(item => item.name)).to.deep.equal(["dedupe"]);
        await sfn.send(new StopExecutionCommand({ executionArn: first.executionArn, error: "Operator", cause: "test over" }));
        const stopped = await finished(sfn, first.executionArn!);
        expect(stopped).to.include({ status: "ABORTED", error: "Operator", cause: "test over" });
        releaseParked.forEach(release => release({}));
    });

    it("answers unknown state machines and executions with AWS's error codes", async () => {
        const missing = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:nope`;
        const start = await sfn.send(new StartExecutionCommand({ stateMachineArn: missing })).then(() => undefined, (caught: Error) => caught);
        expect(start?.name).to.equal("StateMachineDoesNotExist");
        const describe = await sfn.send(new DescribeExecutionCommand({ executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:nope:x` })).then(() => undefined, (caught: Error) => caught);
        expect(describe?.name).to.equal("ExecutionDoesNotExist");
    });
});
