import { randomUUID } from "crypto";
import type * as http from "http";
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } from "aws-local-stepfunctions";
import type { SandboxContext, SandboxService } from "../cloud";
import "../promise-with-resolvers";

// Step Functions (Jayway JsonPath) answers an indefinite path (filter, wildcard, deep scan, union, slice) with an
// array, [] when nothing matches; aws-local-stepfunctions asks jsonpath-plus for unwrapped results, which turns
// one match into a bare value and none into a States.Runtime failure. Wrapping those paths restores AWS's answers.
const INDEFINITE_PATH = /\.\.|\[\?|\*|\[[^\]]*[,:][^\]]*\]/;
const jsonPathPlus = require("jsonpath-plus");
if (!jsonPathPlus.JSONPath.awsIndefinitePaths) {
    const unwrapped = jsonPathPlus.JSONPath;
    jsonPathPlus.JSONPath = Object.assign(
        (options: { path: string; wrap?: boolean }, ...rest: unknown[]) => unwrapped({ ...options, wrap: INDEFINITE_PATH.test(options.path) || options.wrap }, ...rest),
        unwrapped, { awsIndefinitePaths: true });
}

type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";
type Json = Record<string, any>;

interface HistoryEvent { timestamp: number; type: string; id: number; previousEventId: number; [details: string]: unknown }

interface Execution {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    input: string;
    status: ExecutionStatus;
    startDate: number;
    stopDate?: number;
    output?: string;
    error?: string;
    cause?: string;
    history: HistoryEvent[];
    abort: () => void;
}

interface Machine {
    arn: string;
    name: string;
    roleArn: string;
    definitionText: string;
    definition: Json;
    runner?: StateMachine;
    handlers: Record<string, (input: any) => Promise<any>>;
    retryIntervalOverrides: Record<string, number>;
}

/** An AWS-shaped service error: `__type` and status on the wire, `name` for the SDK. */
class ServiceError extends Error {
    constructor(public readonly code: string, message: string, public readonly status = 400) {
        super(message);
        this.name = code;
    }
}

/** A task failure with the error name Step Functions would report, so Retry/Catch `ErrorEquals` match. */
class TaskError extends Error {
    constructor(name: string, cause: string) {
        super(cause);
        this.name = name;
    }
}

/** Service names as Step Functions spells them in aws-sdk integration errors (`<Service>.<Code>Exception`). */
const SDK_ERROR_PREFIX: Record<string, string> = {
    s3: "S3", dynamodb: "DynamoDb", sns: "Sns", sqs: "Sqs", sfn: "Sfn", lambda: "Lambda", cloudwatch: "CloudWatch", eventbridge: "EventBridge",
};
/** Optimized integrations keep the service's own prefix and error code. */
const OPTIMIZED_ERROR_PREFIX: Record<string, string> = { dynamodb: "DynamoDB", sns: "SNS", sqs: "SQS" };
/** SQS error codes the v1 SDK models as their own exception classes. */
const MODELED_V1_ERRORS = new Set(["QueueDoesNotExist", "InvalidMessageContents", "UnsupportedOperation", "InvalidAttributeName", "InvalidBatchEntryId", "RequestThrottled", "KmsAccessDenied"]);
/** aws-sdk service name → SDK v3 package and client class. */
const SDK_CLIENTS: Record<string, { pkg: string; client: string }> = {
    s3: { pkg: "@aws-sdk/client-s3", client: "S3Client" },
    dynamodb: { pkg: "@aws-sdk/client-dynamodb", client: "DynamoDBClient" },
    sns: { pkg: "@aws-sdk/client-sns", client: "SNSClient" },
    sqs: { pkg: "@aws-sdk/client-sqs", client: "SQSClient" },
    sfn: { pkg: "@aws-sdk/client-sfn", client: "SFNClient" },
    lambda: { pkg: "@aws-sdk/client-lambda", client: "LambdaClient" },
    cloudwatch: { pkg: "@aws-sdk/client-cloudwatch", client: "CloudWatchClient" },
};
const OPTIMIZED_ACTIONS = new Set(["dynamodb:putItem", "dynamodb:updateItem", "dynamodb:getItem", "dynamodb:deleteItem", "sns:publish", "sqs:sendMessage"]);

/**
 * Optimized integrations report the Java SDK v1 exception: modeled errors by their class
 * (`DynamoDB.ConditionalCheckFailedException`), others as `SQS.AmazonSQSException`, transport failures as `SdkClientException`.
 */
function optimizedErrorName(service: string, code: string, transportFailure: boolean): string {
    const prefix = OPTIMIZED_ERROR_PREFIX[service];
    if (transportFailure) {
        return `${prefix}.SdkClientException`;
    }
    if (code.endsWith("Exception")) {
        return `${prefix}.${code}`;
    }
    return MODELED_V1_ERRORS.has(code) ? `${prefix}.${code}Exception` : `${prefix}.Amazon${prefix}Exception`;
}

function pascal(text: string): string {
    return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The SDK output as Step Functions returns it: the service's fields, without the SDK's own `$metadata`. */
function withoutMetadata(output: Json): Json {
    return Object.fromEntries(Object.entries(output).filter(([key]) => key !== "$metadata"));
}

/** Every state of a definition, nested Map iterators and Parallel branches included. */
function allStates(definition: Json): [string, Json][] {
    return Object.entries<Json>(definition.States ?? {}).flatMap(([name, state]) => [
        [name, state] as [string, Json],
        ...(state.Iterator ? allStates(state.Iterator) : []),
        ...(state.ItemProcessor ? allStates(state.ItemProcessor) : []),
        ...(state.Branches ?? []).flatMap(allStates),
    ]);
}

export interface StepFunctionsOptions {
    /** Pause before every Retry attempt, in ms, instead of the definition's IntervalSeconds/BackoffRate. Default: the definition's. */
    retryIntervalMs?: number;
}

/**
 * Step Functions on the AWS JSON 1.0 protocol for the state machines the program synthesized: each
 * execution runs the exact definition with aws-local-stepfunctions, Lambda tasks going to the sandbox's
 * functions and service integrations to the sandbox's own endpoint through the real SDK clients.
 */
export function createStepFunctionsService(ctx: SandboxContext, options: StepFunctionsOptions = {}): SandboxService {
    const clients = new Map<string, any>();
    const executions = new Map<string, Execution>();
    const machines = new Map<string, Machine>();

    function sdkClient(service: string): { client: any; module: any } {
        const spec = SDK_CLIENTS[service];
        if (!spec) {
            throw new TaskError("States.Runtime", `The sandbox has no SDK client for service '${service}'`);
        }
        // Loaded on first use: only the services a definition calls are needed.
        const module = require(spec.pkg);
        if (!clients.has(service)) {
            clients.set(service, new module[spec.client]({
                endpoint: ctx.endpoint, region: ctx.region, forcePathStyle: true,
                credentials: { accessKeyId: "test", secretAccessKey: "test" },
            }));
        }
        return { client: clients.get(service), module };
    }

    async function callService(service: string, action: string, parameters: Json, optimized: boolean): Promise<Json> {
        const { client, module } = sdkClient(service);
        // Optimized SQS/SNS integrations send a JSON object body as its JSON text.
        const bodyField = optimized ? { sqs: "MessageBody", sns: "Message" }[service as "sqs"] : undefined;
        if (bodyField && parameters[bodyField] !== undefined && typeof parameters[bodyField] !== "string") {
            parameters = { ...parameters, [bodyField]: JSON.stringify(parameters[bodyField]) };
        }
        const Command = module[`${pascal(action)}Command`];
        if (!Command) {
            throw new TaskError("States.Runtime", `Unknown ${service} action '${action}'`);
        }
        try {
            return withoutMetadata(await client.send(new Command(parameters)));
        } catch (error: any) {
            const code: string = error.name ?? "ServiceException";
            const status = error.$metadata?.httpStatusCode ?? 500;
            const requestId = error.$metadata?.requestId ?? randomUUID();
            const name = optimized ? optimizedErrorName(service, code, error.$metadata?.httpStatusCode === undefined)
                : `${SDK_ERROR_PREFIX[service] ?? pascal(service)}.${code.endsWith("Exception") ? code : `${code}Exception`}`;
            throw new TaskError(name, `${error.message} (Service: ${SDK_ERROR_PREFIX[service] ?? pascal(service)}, Status Code: ${status}, Request ID: ${requestId})`);
        }
    }

    async function invokeFunction(functionName: string, payload: unknown): Promise<unknown> {
        try {
            return await ctx.functions.invoke(functionName, payload);
        } catch (error: any) {
            const errorType: string = error?.name ?? "Error";
            // Lambda task failures carry the function's error type as Error and its error document as Cause.
            throw new TaskError(errorType, JSON.stringify({ errorMessage: error?.message ?? String(error), errorType, trace: String(error?.stack ?? "").split("\n") }));
        }
    }

    function taskHandler(resource: string): (input: any) => Promise<any> {
        if (/^arn:aws:lambda:/.test(resource)) {
            return input => invokeFunction(resource, input);
        }
        const integration = /^arn:aws:states:::([^:]+):([^.]+)(?:\.(\w+))?$/.exec(resource);
        const sdk = /^arn:aws:states:::aws-sdk:([^:]+):([^.]+)$/.exec(resource);
        if (sdk) {
            return input => callService(sdk[1], sdk[2], input, false);
        }
        if (integration && integration[1] === "lambda" && integration[2] === "invoke") {
            return async input => ({ ExecutedVersion: "$LATEST", Payload: await invokeFunction(input.FunctionName, input.Payload), StatusCode: 200 });
        }
        if (integration && OPTIMIZED_ACTIONS.has(`${integration[1]}:${integration[2]}`)) {
            return input => callService(integration[1], integration[2], input, true);
        }
        return async () => {
            throw new TaskError("States.Runtime", `The sandbox does not support the task resource '${resource}'`);
        };
    }

    function loadMachines(): void {
        for (const resource of ctx.resources.filter(item => item.type === "aws:sfn/stateMachine:StateMachine")) {
            const definitionText = String(resource.inputs.definition);
            const definition = JSON.parse(definitionText);
            const handlers: Machine["handlers"] = {};
            const retryIntervalOverrides: Record<string, number> = {};
            for (const [stateName, state] of allStates(definition)) {
                if (state.Retry && options.retryIntervalMs !== undefined) {
                    retryIntervalOverrides[stateName] = options.retryIntervalMs;
                }
                if (state.Type !== "Task") {
                    continue;
                }
                if (handlers[stateName]) {
                    ctx.log({ kind: "error", message: `state machine ${resource.state.name}: two Task states named ${stateName}; the first one's resource serves both` });
                    continue;
                }
                handlers[stateName] = taskHandler(String(state.Resource));
            }
            machines.set(resource.state.arn, { arn: resource.state.arn, name: resource.state.name, roleArn: resource.inputs.roleArn, definitionText, definition, handlers, retryIntervalOverrides });
        }
    }

    function machineOf(arn: string | undefined): Machine {
        const machine = arn ? machines.get(arn) : undefined;
        if (!machine) {
            throw new ServiceError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${arn}'`);
        }
        if (!machine.runner) {
            try {
                machine.runner = new StateMachine(machine.definition as any);
            } catch (error) {
                throw new ServiceError("InvalidDefinition", (error as Error).message);
            }
        }
        return machine;
    }

    function executionOf(arn: string | undefined): Execution {
        const execution = arn ? executions.get(arn) : undefined;
        if (!execution) {
            throw new ServiceError("ExecutionDoesNotExist", `Execution Does Not Exist: '${arn}'`);
        }
        return execution;
    }

    function record(execution: Execution, type: string, details: Json = {}): void {
        const id = execution.history.length + 1;
        execution.history.push({ timestamp: Date.now() / 1000, type, id, previousEventId: id - 1, ...details });
    }

    function recordLibraryEvent(execution: Execution, event: Json): void {
        const state = event.state as { name: string; type: string; input?: unknown; output?: unknown } | undefined;
        switch (event.type) {
            case "StateEntered":
                record(execution, `${state!.type}StateEntered`, { stateEnteredEventDetails: { name: state!.name, input: JSON.stringify(state!.input) } });
                break;
            case "StateExited":
                record(execution, `${state!.type}StateExited`, { stateExitedEventDetails: { name: state!.name, output: JSON.stringify(state!.output) } });
                break;
            case "StateFailed":
                record(execution, state!.type === "Task" ? "TaskFailed" : `${state!.type}StateFailed`,
                    { taskFailedEventDetails: { resourceName: state!.name, error: event.Error, cause: String(event.Cause) } });
                break;
            case "StateRetried":
                record(execution, "TaskScheduled", { taskScheduledEventDetails: { resourceName: state!.name, retryAttempt: event.retry?.attempt } });
                break;
            case "MapIterationStarted":
            case "MapIterationSucceeded":
            case "MapIterationFailed":
                record(execution, event.type, { mapIterationEventDetails: { name: event.parentState?.name, index: event.index } });
                break;
            default:
                break;
        }
    }

    function finish(execution: Execution, status: ExecutionStatus, details: { output?: unknown; error?: string; cause?: string }): void {
        execution.status = status;
        execution.stopDate = Date.now() / 1000;
        if (status === "SUCCEEDED") {
            execution.output = JSON.stringify(details.output ?? null);
            record(execution, "ExecutionSucceeded", { executionSucceededEventDetails: { output: execution.output } });
        } else {
            execution.error = details.error;
            execution.cause = details.cause;
            const type = { FAILED: "ExecutionFailed", TIMED_OUT: "ExecutionTimedOut", ABORTED: "ExecutionAborted" }[status as "FAILED"];
            record(execution, type, { [`${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`]: { error: details.error, cause: details.cause } });
        }
        ctx.log({ kind: "execution", message: `${execution.name} of ${machines.get(execution.stateMachineArn)?.name}: ${status}${details.error ? ` (${details.error}: ${details.cause})` : ""}` });
    }

    function startExecution(request: Json): Json {
        const machine = machineOf(request.stateMachineArn);
        const name: string = request.name ?? randomUUID();
        if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
            throw new ServiceError("InvalidName", `Invalid Name: '${name}'`);
        }
        const inputText: string = request.input ?? "{}";
        let input: unknown;
        try {
            input = JSON.parse(inputText);
        } catch {
            throw new ServiceError("InvalidExecutionInput", `Invalid State Machine Execution Input: '${inputText}'`);
        }
        const executionArn = `arn:aws:states:${ctx.region}:${ctx.accountId}:execution:${machine.name}:${name}`;
        const existing = executions.get(executionArn);
        if (existing) {
            // AWS answers a repeat of a running execution's start (same input) with that execution.
            if (existing.status === "RUNNING" && existing.input === inputText) {
                return { executionArn, startDate: existing.startDate };
            }
            throw new ServiceError("ExecutionAlreadyExists", `Execution Already Exists: '${executionArn}'`);
        }
        const startDate = Date.now() / 1000;
        const run = machine.runner!.run(input as any, {
            overrides: { taskResourceLocalHandlers: machine.handlers, retryIntervalOverrides: machine.retryIntervalOverrides },
            context: {
                Execution: { Id: executionArn, Name: name, RoleArn: machine.roleArn, StartTime: new Date(startDate * 1000).toISOString() },
                StateMachine: { Id: machine.arn, Name: machine.name },
                // The library has no per-state context; a getter gives `$$.State.EnteredTime` the moment the state reads it.
                State: { get EnteredTime() { return new Date().toISOString(); }, RetryCount: 0 },
            } as any,
        });
        const execution: Execution = { executionArn, stateMachineArn: machine.arn, name, input: inputText, status: "RUNNING", startDate, history: [], abort: run.abort };
        executions.set(executionArn, execution);
        record(execution, "ExecutionStarted", { executionStartedEventDetails: { input: inputText, roleArn: machine.roleArn } });
        ctx.log({ kind: "execution", message: `${name} of ${machine.name}: started` });
        const logged = (async () => {
            for await (const event of run.eventLogs) {
                recordLibraryEvent(execution, event as Json);
            }
        })();
        // The terminal status is set after the state events are in the history, so it reads in order.
        const settled = run.result.then(async output => ({ output, error: undefined }), async (error: Error) => ({ output: undefined, error }));
        void Promise.all([settled, logged]).then(([{ output, error }]) => {
            if (!error) {
                finish(execution, "SUCCEEDED", { output });
            } else if (error instanceof ExecutionAbortedError) {
                finish(execution, "ABORTED", { error: execution.error, cause: execution.cause });
            } else if (error instanceof ExecutionTimeoutError) {
                finish(execution, "TIMED_OUT", { error: "States.Timeout", cause: "The execution timed out" });
            } else {
                const cause = error instanceof ExecutionError ? (error.cause as Error) : error;
                finish(execution, "FAILED", { error: cause?.name, cause: cause?.message });
            }
        });
        return { executionArn, startDate };
    }

    function describeExecution(request: Json): Json {
        const execution = executionOf(request.executionArn);
        return {
            executionArn: execution.executionArn, stateMachineArn: execution.stateMachineArn, name: execution.name,
            status: execution.status, startDate: execution.startDate, stopDate: execution.stopDate,
            input: execution.input, inputDetails: { included: true },
            output: execution.output, outputDetails: execution.output === undefined ? undefined : { included: true },
            error: execution.error, cause: execution.cause,
        };
    }

    function listExecutions(request: Json): Json {
        const machine = machineOf(request.stateMachineArn);
        const all = [...executions.values()]
            .filter(execution => execution.stateMachineArn === machine.arn && (!request.statusFilter || execution.status === request.statusFilter))
            .reverse();
        const start = Number(request.nextToken ?? 0);
        const pageSize = request.maxResults || 100;
        const page = all.slice(start, start + pageSize);
        return {
            executions: page.map(execution => ({
                executionArn: execution.executionArn, stateMachineArn: execution.stateMachineArn, name: execution.name,
                status: execution.status, startDate: execution.startDate, stopDate: execution.stopDate,
            })),
            nextToken: start + pageSize < all.length ? String(start + pageSize) : undefined,
        };
    }

    function stopExecution(request: Json): Json {
        const execution = executionOf(request.executionArn);
        if (execution.status === "RUNNING") {
            execution.error = request.error;
            execution.cause = request.cause;
            execution.abort();
        }
        return { stopDate: execution.stopDate ?? Date.now() / 1000 };
    }

    function getExecutionHistory(request: Json): Json {
        const events = [...executionOf(request.executionArn).history];
        return { events: request.reverseOrder ? events.reverse() : events };
    }

    const operations: Record<string, (request: Json) => Json> = {
        StartExecution: startExecution,
        DescribeExecution: describeExecution,
        ListExecutions: listExecutions,
        StopExecution: stopExecution,
        GetExecutionHistory: getExecutionHistory,
        ListStateMachines: () => ({ stateMachines: [...machines.values()].map(machine => ({ stateMachineArn: machine.arn, name: machine.name, type: "STANDARD", creationDate: 0 })) }),
        DescribeStateMachine: request => {
            const machine = machineOf(request.stateMachineArn);
            return { stateMachineArn: machine.arn, name: machine.name, status: "ACTIVE", definition: machine.definitionText, roleArn: machine.roleArn, type: "STANDARD", creationDate: 0 };
        },
    };

    loadMachines();

    return {
        async handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<boolean> {
            const target = String(req.headers["x-amz-target"] ?? "");
            if (!target.startsWith("AWSStepFunctions.")) {
                return false;
            }
            const operation = target.slice("AWSStepFunctions.".length);
            const send = (status: number, payload: Json) => {
                res.writeHead(status, { "Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": randomUUID() });
                res.end(JSON.stringify(payload));
            };
            try {
                const handler = operations[operation];
                if (!handler) {
                    throw new ServiceError("UnknownOperationException", `The sandbox does not implement ${operation}`);
                }
                send(200, handler(body.length ? JSON.parse(body.toString("utf8")) : {}));
            } catch (error) {
                if (error instanceof ServiceError) {
                    send(error.status, { __type: error.code, message: error.message });
                } else {
                    const message = error instanceof Error ? error.message : String(error);
                    ctx.log({ kind: "error", message: `Step Functions ${operation}: ${message}` });
                    send(500, { __type: "InternalFailure", message });
                }
            }
            return true;
        },
        async close(): Promise<void> {
            for (const execution of executions.values()) {
                if (execution.status === "RUNNING") {
                    execution.abort();
                }
            }
            for (const client of clients.values()) {
                client.destroy();
            }
        },
    };
}
