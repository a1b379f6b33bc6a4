import * as logsModel from "@aws-sdk/client-cloudwatch-logs";
import { AwsError, resourcesOfType, SandboxContext } from "../../cloud";
import { modelOf } from "../../protocols/model";
import { awsJsonCodec } from "../../protocols/json";
import type { OperationCall } from "../../protocols/wire";
import type { ServiceProvider } from "../../provider";
import type { MetricSink } from "../cloudwatch";
import { compileFilterPattern, LogFilter } from "./filter-pattern";

const MODEL = modelOf(logsModel);
/** FilterLogEvents and GetLogEvents answer at most 10,000 events; the Describe operations 50 items (CloudWatch Logs API reference). */
const MAX_EVENTS = 10000;
const MAX_DESCRIBED = 50;

type Input = Record<string, any>;

interface LogEvent { timestamp: number; ingestionTime: number; message: string; eventId: string }
interface LogStream { name: string; createdAt: number; events: LogEvent[] }
interface MetricFilter {
    name: string; pattern: string; matches: LogFilter; createdAt: number;
    transformation: { metricName: string; metricNamespace: string; metricValue: string; defaultValue?: number; unit?: string; dimensions?: Record<string, string> };
}
interface LogGroup { name: string; createdAt: number; retentionInDays?: number; streams: Map<string, LogStream>; metricFilters: MetricFilter[] }

function page<T>(items: T[], nextToken: string | undefined, size: number): { items: T[]; nextToken?: string } {
    const offset = nextToken === undefined ? 0 : Number(nextToken);
    if (!Number.isInteger(offset) || offset < 0 || offset > items.length) {
        throw new AwsError("InvalidParameterException", "The specified nextToken is invalid.");
    }
    return { items: items.slice(offset, offset + size), ...(offset + size < items.length ? { nextToken: String(offset + size) } : {}) };
}

/**
 * CloudWatch Logs (AWS JSON 1.1, `Logs_20140328.<Operation>`): the program's log groups, streams written by the
 * sandbox (function output), reading and filtering them, and the program's metric filters counted into CloudWatch.
 */
export class LogsService implements ServiceProvider {
    readonly signingName = "logs";
    readonly api = { model: MODEL, codecs: { json: awsJsonCodec("1.1") } };
    private readonly groups = new Map<string, LogGroup>();
    private eventCount = 0;

    constructor(private readonly ctx: Pick<SandboxContext, "region" | "accountId" | "resources">, private readonly metrics: MetricSink) {
        const now = Date.now();
        for (const resource of resourcesOfType(ctx.resources, "aws:cloudwatch/logGroup:LogGroup")) {
            this.group(resource.state.name, true).retentionInDays = resource.inputs.retentionInDays;
        }
        for (const resource of resourcesOfType(ctx.resources, "aws:cloudwatch/logMetricFilter:LogMetricFilter")) {
            const transformation = resource.inputs.metricTransformation;
            if (!/^-?\d+(\.\d+)?$/.test(String(transformation.value))) {
                throw new Error(`metric filter ${resource.name}: the sandbox counts fixed metric values, not ${transformation.value}`);
            }
            this.group(resource.inputs.logGroupName, true).metricFilters.push({
                name: resource.inputs.name ?? resource.name, pattern: resource.inputs.pattern ?? "", matches: compileFilterPattern(resource.inputs.pattern), createdAt: now,
                transformation: {
                    metricName: transformation.name, metricNamespace: transformation.namespace, metricValue: String(transformation.value),
                    ...(transformation.defaultValue !== undefined ? { defaultValue: Number(transformation.defaultValue) } : {}),
                    ...(transformation.unit ? { unit: transformation.unit } : {}), ...(transformation.dimensions ? { dimensions: transformation.dimensions } : {}),
                },
            });
        }
    }

    /**
     * Appends one event to a stream, creating group and stream as Lambda does on first write, and runs the group's metric
     * filters on it. `first`: before the stream's events of the same millisecond (a START line written after its invocation).
     */
    write(groupName: string, streamName: string, timestamp: number, message: string, first = false): void {
        const group = this.group(groupName, true);
        let stream = group.streams.get(streamName);
        if (!stream) {
            stream = { name: streamName, createdAt: Date.now(), events: [] };
            group.streams.set(streamName, stream);
        }
        const event = { timestamp, ingestionTime: Date.now(), message, eventId: String(++this.eventCount).padStart(20, "0") };
        // Events stay in timestamp order within a stream.
        let index = stream.events.length;
        while (index > 0 && (stream.events[index - 1].timestamp > timestamp || (first && stream.events[index - 1].timestamp === timestamp))) {
            index--;
        }
        stream.events.splice(index, 0, event);
        for (const filter of group.metricFilters) {
            const matched = filter.matches(message);
            if (matched || filter.transformation.defaultValue !== undefined) {
                const { metricNamespace, metricName, dimensions, unit } = filter.transformation;
                this.metrics.put({ namespace: metricNamespace, metricName, dimensions: dimensions ?? {} }, matched ? Number(filter.transformation.metricValue) : filter.transformation.defaultValue!, unit, timestamp);
            }
        }
    }

    async call({ operation, input }: OperationCall): Promise<Input> {
        const handler = this.operations[operation];
        if (!handler) {
            throw new AwsError("InvalidOperationException", `The sandbox does not implement the CloudWatch Logs action ${operation}.`);
        }
        return handler(input);
    }

    private group(name: string, create = false): LogGroup {
        let group = this.groups.get(name);
        if (!group && create) {
            group = { name, createdAt: Date.now(), streams: new Map(), metricFilters: [] };
            this.groups.set(name, group);
        }
        if (!group) {
            throw new AwsError("ResourceNotFoundException", "The specified log group does not exist.");
        }
        return group;
    }

    /** logGroupName or logGroupIdentifier (a name or an ARN), exactly one of them. */
    private groupOf(input: Input): LogGroup {
        if (input.logGroupName && input.logGroupIdentifier) {
            throw new AwsError("InvalidParameterException", "LogGroup name and LogGroup ARN are mutually exclusive parameters.");
        }
        const identifier = String(input.logGroupName ?? input.logGroupIdentifier ?? "");
        const name = identifier.startsWith("arn:") ? identifier.split(":log-group:")[1]?.replace(/:\*$/, "") ?? "" : identifier;
        if (!name) {
            throw new AwsError("InvalidParameterException", "Either logGroupName or logGroupIdentifier is required.");
        }
        return this.group(name);
    }

    private arn(groupName: string): string {
        return `arn:aws:logs:${this.ctx.region}:${this.ctx.accountId}:log-group:${groupName}`;
    }

    private readonly operations: Record<string, (input: Input) => Input> = {
        DescribeLogGroups: input => {
            const pattern = input.logGroupNamePattern?.toLowerCase();
            if (input.logGroupNamePrefix && pattern) {
                throw new AwsError("InvalidParameterException", "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.");
            }
            const groups = [...this.groups.values()].sort((a, b) => (a.name < b.name ? -1 : 1))
                .filter(group => (!input.logGroupNamePrefix || group.name.startsWith(input.logGroupNamePrefix)) && (!pattern || group.name.toLowerCase().includes(pattern)));
            const { items, nextToken } = page(groups, input.nextToken, Math.min(Number(input.limit ?? MAX_DESCRIBED), MAX_DESCRIBED));
            return {
                logGroups: items.map(group => ({
                    logGroupName: group.name, creationTime: group.createdAt, ...(group.retentionInDays ? { retentionInDays: group.retentionInDays } : {}),
                    metricFilterCount: group.metricFilters.length, arn: `${this.arn(group.name)}:*`, logGroupArn: this.arn(group.name), storedBytes: 0, logGroupClass: "STANDARD",
                })),
                ...(nextToken ? { nextToken } : {}),
            };
        },
        DescribeLogStreams: input => {
            const group = this.groupOf(input);
            const byLastEvent = input.orderBy === "LastEventTime";
            if (byLastEvent && input.logStreamNamePrefix) {
                throw new AwsError("InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.");
            }
            const lastEvent = (stream: LogStream) => stream.events.at(-1)?.timestamp ?? 0;
            const streams = [...group.streams.values()].filter(stream => !input.logStreamNamePrefix || stream.name.startsWith(input.logStreamNamePrefix))
                .sort((a, b) => (byLastEvent ? lastEvent(a) - lastEvent(b) : a.name < b.name ? -1 : 1));
            const { items, nextToken } = page(input.descending ? streams.reverse() : streams, input.nextToken, Math.min(Number(input.limit ?? MAX_DESCRIBED), MAX_DESCRIBED));
            return {
                logStreams: items.map(stream => ({
                    logStreamName: stream.name, creationTime: stream.createdAt, arn: `${this.arn(group.name)}:log-stream:${stream.name}`, storedBytes: 0,
                    ...(stream.events.length > 0 ? { firstEventTimestamp: stream.events[0].timestamp, lastEventTimestamp: lastEvent(stream), lastIngestionTime: Math.max(...stream.events.map(event => event.ingestionTime)) } : {}),
                })),
                ...(nextToken ? { nextToken } : {}),
            };
        },
        GetLogEvents: input => {
            const stream = this.groupOf(input).streams.get(input.logStreamName);
            if (!stream) {
                throw new AwsError("ResourceNotFoundException", "The specified log stream does not exist.");
            }
            const events = stream.events.filter(event => event.timestamp >= (input.startTime ?? -Infinity) && event.timestamp < (input.endTime ?? Infinity));
            const limit = Math.min(Number(input.limit ?? MAX_EVENTS), MAX_EVENTS);
            // Tokens name a position: `f/<n>` reads forward from event n, `b/<n>` back from it (the CLI pages with them until one repeats).
            const token = /^([fb])\/(\d+)$/.exec(input.nextToken ?? "");
            if (input.nextToken !== undefined && !token) {
                throw new AwsError("InvalidParameterException", "The specified nextToken is invalid.");
            }
            const forward = token ? token[1] === "f" : input.startFromHead === true;
            const position = token ? Math.min(Number(token[2]), events.length) : forward ? 0 : events.length;
            const [from, to] = forward ? [position, Math.min(position + limit, events.length)] : [Math.max(position - limit, 0), position];
            return {
                events: events.slice(from, to).map(event => ({ timestamp: event.timestamp, message: event.message, ingestionTime: event.ingestionTime })),
                nextForwardToken: `f/${to}`, nextBackwardToken: `b/${from}`,
            };
        },
        FilterLogEvents: input => {
            const group = this.groupOf(input);
            const names: string[] | undefined = input.logStreamNames;
            if (names?.length && input.logStreamNamePrefix) {
                throw new AwsError("InvalidParameterException", "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.");
            }
            const matches = compileFilterPattern(input.filterPattern);
            const events = [...group.streams.values()]
                .filter(stream => (!names?.length || names.includes(stream.name)) && (!input.logStreamNamePrefix || stream.name.startsWith(input.logStreamNamePrefix)))
                .flatMap(stream => stream.events.map(event => ({ ...event, logStreamName: stream.name })))
                .filter(event => event.timestamp >= (input.startTime ?? -Infinity) && event.timestamp <= (input.endTime ?? Infinity) && matches(event.message))
                .sort((a, b) => a.timestamp - b.timestamp || (a.eventId < b.eventId ? -1 : 1));
            const { items, nextToken } = page(events, input.nextToken, Math.min(Number(input.limit ?? MAX_EVENTS), MAX_EVENTS));
            return {
                events: items.map(event => ({ logStreamName: event.logStreamName, timestamp: event.timestamp, message: event.message, ingestionTime: event.ingestionTime, eventId: event.eventId })),
                ...(nextToken ? { nextToken } : {}),
            };
        },
        DescribeMetricFilters: input => {
            const groups = input.logGroupName ? [this.group(input.logGroupName)] : [...this.groups.values()];
            const filters = groups.flatMap(group => group.metricFilters.map(filter => ({ group, filter })))
                .filter(({ filter }) => (!input.filterNamePrefix || filter.name.startsWith(input.filterNamePrefix))
                    && (!input.metricName || filter.transformation.metricName === input.metricName) && (!input.metricNamespace || filter.transformation.metricNamespace === input.metricNamespace));
            const { items, nextToken } = page(filters, input.nextToken, Math.min(Number(input.limit ?? MAX_DESCRIBED), MAX_DESCRIBED));
            return {
                metricFilters: items.map(({ group, filter }) => ({
                    filterName: filter.name, filterPattern: filter.pattern, logGroupName: group.name, creationTime: filter.createdAt,
                    metricTransformations: [filter.transformation],
                })),
                ...(nextToken ? { nextToken } : {}),
            };
        },
    };
}
