import { AwsError } from "../cloud";
import type { RecordedResource } from "../mock-cloud";
import type { ProviderView } from "../router";
import type { SqsService } from "../services/sqs";
import { stateGraph, stateOutcomes } from "./state-graph";
import { systemsOf } from "./systems";
import { relatedRecords, tableSummary } from "./tables";

type Json = Record<string, any>;

export interface ConsoleSources {
    providers: ProviderView;
    outputs: Record<string, unknown>;
    resources: RecordedResource[];
    /** For the read-only peek, which no SQS API offers. */
    sqs?: SqsService;
}

/** A JSON answer with its status; the console's client shows `error`. */
export interface ApiAnswer { status: number; body: Json }

const EXECUTIONS_PER_MACHINE = 20;
const PEEKED_MESSAGES = 10;
const ALARM_HISTORY_ITEMS = 10;
/** FilterLogEvents pages one tail request reads at most; the next poll continues from the last line's time. */
const LOG_PAGES = 5;

/** Timestamps as milliseconds: the sandbox's in-process answers carry the JSON protocol's epoch seconds, SDK shapes a Date, the query protocol ISO text. */
export function epochMs(value: unknown): number | undefined {
    if (value === undefined || value === null) {
        return undefined;
    }
    if (value instanceof Date) {
        return value.getTime();
    }
    return typeof value === "number" ? value * 1000 : Date.parse(String(value));
}

/** A panel whose service is not deployed in this sandbox says so instead of failing. */
const UNAVAILABLE = { available: false };

function available(providers: ProviderView, signingName: string): boolean {
    return providers.get(signingName)?.call !== undefined;
}

function requiredParameter(query: URLSearchParams, name: string): string {
    const value = query.get(name);
    if (!value) {
        throw new AwsError("MissingParameter", `The query parameter ${name} is required.`, 400);
    }
    return value;
}

async function executions({ providers }: ConsoleSources): Promise<Json> {
    if (!available(providers, "states")) {
        return UNAVAILABLE;
    }
    const { stateMachines = [] } = await providers.call("states", "ListStateMachines", {});
    const now = Date.now();
    return {
        available: true,
        stateMachines: await Promise.all(stateMachines.map(async (machine: Json) => {
            const { executions: runs = [] } = await providers.call("states", "ListExecutions", { stateMachineArn: machine.stateMachineArn, maxResults: EXECUTIONS_PER_MACHINE });
            return {
                name: machine.name, arn: machine.stateMachineArn,
                executions: runs.map((run: Json) => {
                    const start = epochMs(run.startDate)!;
                    return { name: run.name, arn: run.executionArn, status: run.status, startMs: start, durationMs: (epochMs(run.stopDate) ?? now) - start };
                }),
            };
        })),
    };
}

function parsed(text: unknown): unknown {
    try {
        return typeof text === "string" ? JSON.parse(text) : undefined;
    } catch {
        return undefined;
    }
}

async function execution({ providers }: ConsoleSources, query: URLSearchParams): Promise<Json> {
    const executionArn = requiredParameter(query, "arn");
    const described = await providers.call("states", "DescribeExecution", { executionArn });
    const { definition } = await providers.call("states", "DescribeStateMachine", { stateMachineArn: described.stateMachineArn });
    const events: Json[] = [];
    let nextToken: string | undefined;
    do {
        const page = await providers.call("states", "GetExecutionHistory", { executionArn, maxResults: 1000, includeExecutionData: false, ...(nextToken ? { nextToken } : {}) });
        events.push(...page.events);
        nextToken = page.nextToken;
    } while (nextToken);
    const outcomes = stateOutcomes(events, described.status);
    const graph = stateGraph(JSON.parse(definition), outcomes);
    // The innermost failure names the cause: a Task's error rather than the Map that contains it.
    const failed = graph.nodes.filter(node => node.status === "failed").sort((a, b) => a.width * a.height - b.width * b.height)[0];
    const start = epochMs(described.startDate)!;
    return {
        name: described.name, arn: described.executionArn, stateMachineArn: described.stateMachineArn, status: described.status,
        startMs: start, durationMs: (epochMs(described.stopDate) ?? Date.now()) - start,
        error: described.error, cause: described.cause,
        failure: failed ? { state: failed.name, error: failed.error ?? described.error, cause: failed.cause ?? described.cause } : undefined,
        graph,
        records: available(providers, "dynamodb") ? await relatedRecords(providers, [parsed(described.input), parsed(described.output)]) : [],
    };
}

async function queues({ providers }: ConsoleSources): Promise<Json> {
    if (!available(providers, "sqs")) {
        return UNAVAILABLE;
    }
    const { QueueUrls = [] } = await providers.call("sqs", "ListQueues", {});
    const rows = await Promise.all((QueueUrls as string[]).map(async url => {
        const { Attributes = {} } = await providers.call("sqs", "GetQueueAttributes", { QueueUrl: url, AttributeNames: ["All"] });
        const redrive = parsed(Attributes.RedrivePolicy) as { deadLetterTargetArn?: string; maxReceiveCount?: number } | undefined;
        return {
            name: url.split("/").pop()!, url, arn: Attributes.QueueArn as string,
            visible: Number(Attributes.ApproximateNumberOfMessages), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
            delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed), deadLetterArn: redrive?.deadLetterTargetArn, maxReceiveCount: redrive?.maxReceiveCount,
        };
    }));
    return {
        available: true,
        queues: rows.map(({ deadLetterArn, ...row }) => {
            const deadLetter = rows.find(other => other.arn === deadLetterArn);
            return { ...row, ...(deadLetter ? { deadLetter: { name: deadLetter.name, visible: deadLetter.visible } } : {}) };
        }),
    };
}

function messages({ sqs }: ConsoleSources, query: URLSearchParams): Json {
    const queue = requiredParameter(query, "queue");
    return sqs ? { available: true, messages: sqs.peek(queue, PEEKED_MESSAGES) } : UNAVAILABLE;
}

async function tables({ providers }: ConsoleSources): Promise<Json> {
    if (!available(providers, "dynamodb")) {
        return UNAVAILABLE;
    }
    const { TableNames = [] } = await providers.call("dynamodb", "ListTables", {});
    return { available: true, tables: await Promise.all((TableNames as string[]).map(name => tableSummary(providers, name))) };
}

/** CloudWatch alarms with their state and newest history (DescribeAlarms, DescribeAlarmHistory in the CloudWatch API reference). */
async function alarms({ providers }: ConsoleSources): Promise<Json> {
    if (!available(providers, "monitoring")) {
        return UNAVAILABLE;
    }
    const { MetricAlarms = [], CompositeAlarms = [] } = await providers.call("monitoring", "DescribeAlarms", {});
    return {
        available: true,
        alarms: await Promise.all([...MetricAlarms, ...CompositeAlarms].map(async (alarm: Json) => {
            const { AlarmHistoryItems = [] } = await providers.call("monitoring", "DescribeAlarmHistory", { AlarmName: alarm.AlarmName, MaxRecords: ALARM_HISTORY_ITEMS, ScanBy: "TimestampDescending" });
            return {
                name: alarm.AlarmName, state: alarm.StateValue, reason: alarm.StateReason, updatedMs: epochMs(alarm.StateUpdatedTimestamp),
                metric: alarm.MetricName ? `${alarm.Namespace} ${alarm.MetricName} ${alarm.ComparisonOperator} ${alarm.Threshold}` : undefined,
                history: AlarmHistoryItems.map((item: Json) => ({ timestampMs: epochMs(item.Timestamp), type: item.HistoryItemType, summary: item.HistorySummary })),
            };
        })),
    };
}

/** The functions and the log group each writes to: its LoggingConfig's, else /aws/lambda/<name> (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html). */
async function functions({ providers }: ConsoleSources): Promise<Json> {
    if (!available(providers, "lambda")) {
        return UNAVAILABLE;
    }
    const { Functions = [] } = await providers.call("lambda", "ListFunctions", {});
    return { available: true, functions: Functions.map((fn: Json) => ({ name: fn.FunctionName, logGroup: fn.LoggingConfig?.LogGroup ?? `/aws/lambda/${fn.FunctionName}` })) };
}

/** Log lines of one group from `since` (ms) on, oldest first (FilterLogEvents); the client drops ids it already shows. */
async function logs({ providers }: ConsoleSources, query: URLSearchParams): Promise<Json> {
    const logGroupName = requiredParameter(query, "group");
    if (!available(providers, "logs")) {
        return UNAVAILABLE;
    }
    const since = Number(query.get("since") ?? 0);
    const events: Json[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < LOG_PAGES && (page === 0 || nextToken); page++) {
        const answer = await providers.call("logs", "FilterLogEvents", { logGroupName, startTime: since, ...(nextToken ? { nextToken } : {}) });
        events.push(...(answer.events ?? []).map((event: Json) => ({ id: event.eventId, timestampMs: Number(event.timestamp), stream: event.logStreamName, message: event.message })));
        nextToken = answer.nextToken;
    }
    return { available: true, events };
}

const ROUTES: Record<string, (sources: ConsoleSources, query: URLSearchParams) => Promise<Json> | Json> = {
    systems: sources => ({ available: true, systems: systemsOf(sources.outputs, sources.resources) }),
    executions, execution, queues, messages, tables, alarms, functions, logs,
};

/** Answers `/_console/api/<name>`: 404 for an unknown name, the service's status and message when a call fails. */
export async function answerApi(sources: ConsoleSources, name: string, query: URLSearchParams): Promise<ApiAnswer> {
    const route = ROUTES[name];
    if (!route) {
        return { status: 404, body: { error: `no console API named ${name}` } };
    }
    try {
        return { status: 200, body: await route(sources, query) };
    } catch (error) {
        if (error instanceof AwsError && error.status === 501) {
            return { status: 200, body: UNAVAILABLE };
        }
        const failure = error as AwsError;
        const status = error instanceof AwsError ? (failure.code.endsWith("DoesNotExist") ? 404 : failure.status) : 500;
        return { status, body: { error: `${failure.code ?? failure.name}: ${failure.message}` } };
    }
}
