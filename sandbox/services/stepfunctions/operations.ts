import { randomUUID } from "crypto";
import { Clock, REAL_TIME } from "../../clock";
import type { SandboxContext } from "../../cloud";
import { ExecutionHistory } from "./history";
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, queryPath, StateMachine } from "./library";
import { allStates, Execution, ExecutionStatus, HistoryEvent, Json, Machine, ServiceError } from "./model";
import { createTaskRunner } from "./tasks";
import type { ProviderRegistry } from "../../router";
import { scaledDefinition } from "./timing";
import type { MetricSink } from "../cloudwatch";

export interface StepFunctionsOptions {
    /** Scales retry intervals, Wait states and timeouts. Default: real time. */
    clock?: Clock;
    /** Where service integrations (dynamodb, sns, sqs, aws-sdk:*) run, in process. */
    providers: ProviderRegistry;
    /** Where execution metrics go (CloudWatch's AWS/States). Default: nowhere. */
    metrics?: MetricSink;
}

/** AWS/States execution metrics per StateMachineArn (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html). */
const EXECUTION_METRICS: Record<string, string> = {
    RUNNING: "ExecutionsStarted", SUCCEEDED: "ExecutionsSucceeded", FAILED: "ExecutionsFailed", TIMED_OUT: "ExecutionsTimedOut", ABORTED: "ExecutionsAborted",
};

export interface StepFunctionsOperations {
    /** The API's operations by name (AWSStepFunctions.<Name>), each taking and returning the JSON 1.0 body. */
    operations: Record<string, (request: Json) => Json>;
    close(): void;
}

/**
 * The state machines the program synthesized and their executions: each execution runs the exact definition
 * with aws-local-stepfunctions, its Task states served by the sandbox's functions and services.
 */
/** AWS's page size bounds for the list and history operations (SFN API reference, maxResults). */
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

/** One page of `items`; the token names the listing it belongs to, so a token from another listing is InvalidToken as on AWS. */
function paginate<T>(items: T[], request: Json, listing: string): { page: T[]; nextToken?: string } {
    const pageSize = request.maxResults || DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 0 || pageSize > MAX_PAGE_SIZE) {
        throw new ServiceError("ValidationException", `1 validation error detected: Value '${request.maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${MAX_PAGE_SIZE}`);
    }
    let start = 0;
    if (request.nextToken !== undefined) {
        const token = (() => {
            try {
                return JSON.parse(Buffer.from(String(request.nextToken), "base64").toString("utf8"));
            } catch {
                return undefined;
            }
        })();
        if (token?.listing !== listing || !Number.isInteger(token.start)) {
            throw new ServiceError("InvalidToken", `Invalid Token: '${request.nextToken}'`);
        }
        start = token.start;
    }
    const end = start + pageSize;
    return { page: items.slice(start, end), nextToken: end < items.length ? Buffer.from(JSON.stringify({ listing, start: end })).toString("base64") : undefined };
}

/** A history event without its input and output, as GetExecutionHistory answers includeExecutionData=false. */
function withoutExecutionData(event: HistoryEvent): HistoryEvent {
    return Object.fromEntries(Object.entries(event).map(([key, value]) => [key, key.endsWith("EventDetails") && value && typeof value === "object"
        ? Object.fromEntries(Object.entries(value).filter(([field]) => !["input", "output", "parameters"].includes(field)))
        : value])) as HistoryEvent;
}

/** The number of items a Map state iterates over, from its raw input (InputPath, then ItemsPath); undefined when unknown. */
function mapLength(state: Json | undefined, input: unknown): number | undefined {
    if (!state) {
        return undefined;
    }
    const effective = state.InputPath === undefined ? input : state.InputPath === null ? {} : queryPath(state.InputPath, input);
    const items = state.ItemsPath ? queryPath(state.ItemsPath, effective) : effective;
    return Array.isArray(items) ? items.length : undefined;
}

/** The machine's Task handlers, each reporting its calls to the execution's history. */
function recordedHandlers(machine: Machine, history: ExecutionHistory): Machine["handlers"] {
    return Object.fromEntries(Object.entries(machine.handlers).map(([stateName, handler]) => [stateName, async (input: unknown) => {
        const call = history.taskStarted(stateName, input);
        try {
            call.output = await handler(input);
            return call.output;
        } catch (error) {
            call.failed = true;
            throw error;
        } finally {
            call.endedAt = Date.now();
        }
    }]));
}

export function createStepFunctionsOperations(ctx: SandboxContext, options: StepFunctionsOptions): StepFunctionsOperations {
    const tasks = createTaskRunner(ctx, options.providers);
    const clock = options.clock ?? REAL_TIME;
    const executions = new Map<string, Execution>();
    const machines = new Map<string, Machine>();

    function loadMachines(): void {
        const creationDate = Date.now() / 1000;
        for (const resource of ctx.resources.filter(item => item.type === "aws:sfn/stateMachine:StateMachine")) {
            const definitionText = String(resource.inputs.definition);
            const definition = JSON.parse(definitionText);
            const handlers: Machine["handlers"] = {};
            const resources: Machine["resources"] = {};
            const states = allStates(definition);
            for (const [stateName, state] of states) {
                if (state.Type !== "Task") {
                    continue;
                }
                if (handlers[stateName]) {
                    ctx.log({ kind: "error", message: `state machine ${resource.state.name}: two Task states named ${stateName}; the first one's resource serves both` });
                    continue;
                }
                resources[stateName] = String(state.Resource);
                handlers[stateName] = tasks.handlerFor(resources[stateName], { roleArn: resource.inputs.roleArn, name: resource.state.name });
            }
            machines.set(resource.state.arn, {
                arn: resource.state.arn, name: resource.state.name, roleArn: resource.inputs.roleArn, definitionText, definition, creationDate,
                states: Object.fromEntries(states), resources, handlers,
            });
        }
    }

    function machineOf(arn: string | undefined): Machine {
        const machine = arn ? machines.get(arn) : undefined;
        if (!machine) {
            throw new ServiceError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${arn}'`);
        }
        if (!machine.runner) {
            try {
                // Validated as written; run with the clock's durations.
                new StateMachine(machine.definition as any);
                machine.runner = new StateMachine(scaledDefinition(machine.definition, clock) as any, { validationOptions: { noValidate: true } });
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

    function countExecution(stateMachineArn: string, status: ExecutionStatus): void {
        options.metrics?.put({ namespace: "AWS/States", metricName: EXECUTION_METRICS[status], dimensions: { StateMachineArn: stateMachineArn } }, 1, "Count");
    }

    function finish(execution: Execution, status: ExecutionStatus, details: { output?: unknown; error?: string; cause?: string }): void {
        execution.status = status;
        execution.stopDate = Date.now() / 1000;
        execution.history.flush();
        countExecution(execution.stateMachineArn, status);
        if (status === "SUCCEEDED") {
            execution.output = JSON.stringify(details.output ?? null);
            execution.history.add("ExecutionSucceeded", { executionSucceededEventDetails: { output: execution.output } });
        } else {
            execution.error = details.error;
            execution.cause = details.cause;
            const type = { FAILED: "ExecutionFailed", TIMED_OUT: "ExecutionTimedOut", ABORTED: "ExecutionAborted" }[status as "FAILED"];
            execution.history.add(type, { [`${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`]: { error: details.error, cause: details.cause } });
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
        const history = new ExecutionHistory(ctx.region, machine.resources, (stateName, stateInput) => mapLength(machine.states[stateName], stateInput));
        const run = machine.runner!.run(input as any, {
            overrides: { taskResourceLocalHandlers: recordedHandlers(machine, history) },
            context: {
                Execution: { Id: executionArn, Name: name, RoleArn: machine.roleArn, StartTime: new Date(startDate * 1000).toISOString() },
                StateMachine: { Id: machine.arn, Name: machine.name },
                // The library has no per-state context; a getter gives `$$.State.EnteredTime` the moment the state reads it.
                State: { get EnteredTime() { return new Date().toISOString(); }, RetryCount: 0 },
            } as any,
        });
        const execution: Execution = { executionArn, stateMachineArn: machine.arn, name, input: inputText, status: "RUNNING", startDate, history, abort: run.abort };
        executions.set(executionArn, execution);
        countExecution(machine.arn, "RUNNING");
        history.add("ExecutionStarted", { executionStartedEventDetails: { input: inputText, inputDetails: { truncated: false }, roleArn: machine.roleArn } }, undefined, startDate * 1000);
        ctx.log({ kind: "execution", message: `${name} of ${machine.name}: started` });
        const logged = (async () => {
            for await (const event of run.eventLogs) {
                history.record(event);
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
        const { page, nextToken } = paginate(all, request, `ListExecutions ${machine.arn} ${request.statusFilter ?? ""}`);
        return {
            executions: page.map(execution => ({
                executionArn: execution.executionArn, stateMachineArn: execution.stateMachineArn, name: execution.name,
                status: execution.status, startDate: execution.startDate, stopDate: execution.stopDate,
            })),
            nextToken,
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
        const execution = executionOf(request.executionArn);
        const events = [...execution.history.events];
        const { page, nextToken } = paginate(request.reverseOrder ? events.reverse() : events, request, `GetExecutionHistory ${execution.executionArn} ${Boolean(request.reverseOrder)}`);
        return { events: request.includeExecutionData === false ? page.map(withoutExecutionData) : page, nextToken };
    }

    loadMachines();

    return {
        operations: {
            StartExecution: startExecution,
            DescribeExecution: describeExecution,
            ListExecutions: listExecutions,
            StopExecution: stopExecution,
            GetExecutionHistory: getExecutionHistory,
            ListStateMachines: request => {
                const { page, nextToken } = paginate([...machines.values()], request, "ListStateMachines");
                return { stateMachines: page.map(machine => ({ stateMachineArn: machine.arn, name: machine.name, type: "STANDARD", creationDate: machine.creationDate })), nextToken };
            },
            DescribeStateMachine: request => {
                const machine = machineOf(request.stateMachineArn);
                return {
                    stateMachineArn: machine.arn, name: machine.name, status: "ACTIVE", definition: machine.definitionText, roleArn: machine.roleArn,
                    type: "STANDARD", creationDate: machine.creationDate, loggingConfiguration: { level: "OFF", includeExecutionData: false },
                };
            },
        },
        close(): void {
            for (const execution of executions.values()) {
                if (execution.status === "RUNNING") {
                    execution.abort();
                }
            }
            tasks.close();
        },
    };
}
