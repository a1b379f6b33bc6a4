import * as cloudWatchModel from "@aws-sdk/client-cloudwatch";
import type { Clock } from "../../clock";
import { AwsError, SandboxContext } from "../../cloud";
import { modelOf } from "../../protocols/model";
import { awsJsonCodec } from "../../protocols/json";
import { awsQueryCodec } from "../../protocols/query";
import type { OperationCall } from "../../protocols/wire";
import type { ServiceProvider } from "../../provider";
import type { ProviderRegistry } from "../../router";
import type { SqsService } from "../sqs";
import type { AlarmStateValue } from "./alarms";
import { MetricId, MetricStore, Statistic, statisticOf } from "./metrics";
import { AlarmMonitor, AlarmRecord } from "./monitor";

const MODEL = modelOf(cloudWatchModel);
const STATISTICS: Statistic[] = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];
/** GetMetricStatistics answers at most 1,440 datapoints (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html). */
const MAX_DATAPOINTS = 1440;
const MAX_HISTORY_RECORDS = 100;

type Input = Record<string, any>;

function dimensionsOf(list: { Name: string; Value: string }[] | undefined): Record<string, string> {
    return Object.fromEntries((list ?? []).map(dimension => [dimension.Name, dimension.Value]));
}

function dimensionList(dimensions: Record<string, string>): { Name: string; Value: string }[] {
    return Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value }));
}

/** A page of `items` from the offset a NextToken names. */
function page<T>(items: T[], nextToken: string | undefined, size: number): { items: T[]; NextToken?: string } {
    const offset = nextToken === undefined ? 0 : Number(nextToken);
    if (!Number.isInteger(offset) || offset < 0 || offset > items.length) {
        throw new AwsError("InvalidNextToken", "The service couldn't process the NextToken.");
    }
    const end = offset + size;
    return { items: items.slice(offset, end), ...(end < items.length ? { NextToken: String(end) } : {}) };
}

function required(input: Input, name: string): unknown {
    if (input[name] === undefined || input[name] === "") {
        throw new AwsError("MissingParameter", `The parameter ${name} is required.`);
    }
    return input[name];
}

export interface CloudWatchOptions {
    metrics: MetricStore;
    sqs: SqsService;
    clock: Clock;
    providers: ProviderRegistry;
}

/**
 * CloudWatch metrics and alarms (signing name `monitoring`): the AWS CLI speaks awsQuery to it, SDK v3 AWS JSON 1.0
 * in query-compatible mode (`GraniteServiceVersion20100801.<Operation>`). Periods are sandbox seconds: a 60 s period
 * lasts `clock.ms(60)` of real time.
 */
export class CloudWatchService implements ServiceProvider {
    readonly signingName = "monitoring";
    readonly api = { model: MODEL, codecs: { query: awsQueryCodec("http://monitoring.amazonaws.com/doc/2010-08-01/"), json: awsJsonCodec("1.0") } };
    readonly monitor: AlarmMonitor;

    constructor(ctx: SandboxContext, private readonly options: CloudWatchOptions) {
        this.monitor = new AlarmMonitor({ ctx, ...options });
    }

    async call({ operation, input }: OperationCall): Promise<Input> {
        const handler = this.operations[operation];
        if (!handler) {
            throw new AwsError("InvalidAction", `The sandbox does not implement the CloudWatch action ${operation}.`);
        }
        return handler(input);
    }

    close(): Promise<void> {
        return this.monitor.close();
    }

    private alarm(name: string): AlarmRecord {
        const alarm = this.monitor.alarms.find(item => item.definition.name === name);
        if (!alarm) {
            throw new AwsError("ResourceNotFound", `Alarm ${name} not found`);
        }
        return alarm;
    }

    private describe(alarm: AlarmRecord): Input {
        const definition = alarm.definition;
        return {
            AlarmName: definition.name, AlarmArn: definition.arn, ...(definition.description !== undefined ? { AlarmDescription: definition.description } : {}),
            AlarmConfigurationUpdatedTimestamp: new Date(definition.configurationUpdatedAt), ActionsEnabled: definition.actionsEnabled,
            OKActions: definition.okActions, AlarmActions: definition.alarmActions, InsufficientDataActions: definition.insufficientDataActions,
            StateValue: alarm.state, StateReason: alarm.reason, ...(alarm.reasonData ? { StateReasonData: alarm.reasonData } : {}),
            StateUpdatedTimestamp: new Date(alarm.updatedAt), StateTransitionedTimestamp: new Date(alarm.updatedAt),
            MetricName: definition.metric.metricName, Namespace: definition.metric.namespace, Statistic: definition.statistic,
            Dimensions: dimensionList(definition.metric.dimensions), Period: definition.period, ...(definition.unit ? { Unit: definition.unit } : {}),
            EvaluationPeriods: definition.evaluationPeriods, DatapointsToAlarm: definition.datapointsToAlarm, Threshold: definition.threshold,
            ComparisonOperator: definition.comparisonOperator, TreatMissingData: definition.treatMissingData,
        };
    }

    private putMetricData(input: Input): Input {
        const namespace = String(required(input, "Namespace"));
        if (namespace.startsWith("AWS/")) {
            throw new AwsError("InvalidParameterValue", `The value ${namespace} for parameter Namespace is invalid.`);
        }
        for (const datum of (input.MetricData ?? []) as Input[]) {
            const metric: MetricId = { namespace, metricName: String(required(datum, "MetricName")), dimensions: dimensionsOf(datum.Dimensions) };
            const timestamp = datum.Timestamp ? new Date(datum.Timestamp).getTime() : Date.now();
            if (datum.StatisticValues) {
                this.options.metrics.putSet(metric, datum.StatisticValues, datum.Unit, timestamp);
            } else if (datum.Values?.length) {
                (datum.Values as number[]).forEach((value, index) => {
                    const count = datum.Counts?.[index] ?? 1;
                    this.options.metrics.putSet(metric, { SampleCount: count, Sum: value * count, Minimum: value, Maximum: value }, datum.Unit, timestamp);
                });
            } else if (typeof datum.Value === "number") {
                this.options.metrics.put(metric, datum.Value, datum.Unit, timestamp);
            } else {
                throw new AwsError("InvalidParameterCombination", "At least one of the parameters MetricData.member.Value, MetricData.member.StatisticValues or MetricData.member.Values must be specified.");
            }
        }
        return {};
    }

    /** Datapoints per period from StartTime (periods in sandbox seconds), only periods holding data, as CloudWatch answers. */
    private getMetricStatistics(input: Input): Input {
        const metricName = String(required(input, "MetricName"));
        const period = Number(required(input, "Period"));
        const statistics: Statistic[] = input.Statistics ?? [];
        if (statistics.length === 0) {
            throw new AwsError("InvalidParameterCombination", input.ExtendedStatistics?.length ? "The sandbox does not compute ExtendedStatistics (percentiles)." : "Must specify either Statistics or ExtendedStatistics.");
        }
        const unknown = statistics.find(statistic => !STATISTICS.includes(statistic));
        if (unknown) {
            throw new AwsError("ValidationError", `1 validation error detected: Value '[${unknown}]' at 'statistics' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [${STATISTICS.join(", ")}]]`);
        }
        if (!(period > 0 && (period % 60 === 0 || [1, 5, 10, 30].includes(period)))) {
            throw new AwsError("InvalidParameterValue", "The parameter Period must be a multiple of 60.");
        }
        const start = new Date(required(input, "StartTime") as string).getTime();
        const end = new Date(required(input, "EndTime") as string).getTime();
        if (!(start < end)) {
            throw new AwsError("InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.");
        }
        const length = this.options.clock.ms(period);
        const count = Math.ceil((end - start) / length);
        if (count > MAX_DATAPOINTS) {
            throw new AwsError("InvalidParameterCombination", `You have requested up to ${count} datapoints, which exceeds the limit of ${MAX_DATAPOINTS}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`);
        }
        const metric: MetricId = { namespace: String(required(input, "Namespace")), metricName, dimensions: dimensionsOf(input.Dimensions) };
        const datapoints: Input[] = [];
        for (let from = start; from < end; from += length) {
            const set = this.options.metrics.aggregate(metric, from, Math.min(from + length, end), input.Unit);
            if (set) {
                datapoints.push({ Timestamp: new Date(from), Unit: set.unit ?? "None", ...Object.fromEntries(statistics.map(statistic => [statistic, statisticOf(set, statistic)])) });
            }
        }
        return { Label: metricName, Datapoints: datapoints };
    }

    private readonly operations: Record<string, (input: Input) => Input> = {
        PutMetricData: input => this.putMetricData(input),
        GetMetricStatistics: input => this.getMetricStatistics(input),
        ListMetrics: input => {
            const metrics = this.options.metrics.list({
                namespace: input.Namespace, metricName: input.MetricName,
                dimensions: (input.Dimensions ?? []).map((filter: Input) => ({ name: filter.Name, value: filter.Value })),
            });
            const { items, NextToken } = page(metrics, input.NextToken, 500);
            return { Metrics: items.map(metric => ({ Namespace: metric.namespace, MetricName: metric.metricName, Dimensions: dimensionList(metric.dimensions) })), ...(NextToken ? { NextToken } : {}) };
        },
        DescribeAlarms: input => {
            const names: string[] = input.AlarmNames ?? [];
            const wantsMetricAlarms = !input.AlarmTypes?.length || input.AlarmTypes.includes("MetricAlarm");
            const alarms = this.monitor.alarms.filter(alarm => wantsMetricAlarms && (names.length === 0 || names.includes(alarm.definition.name))
                && (!input.AlarmNamePrefix || alarm.definition.name.startsWith(input.AlarmNamePrefix)) && (!input.StateValue || alarm.state === input.StateValue)
                && (!input.ActionPrefix || [...alarm.definition.alarmActions, ...alarm.definition.okActions, ...alarm.definition.insufficientDataActions].some(action => action.startsWith(input.ActionPrefix))))
                .sort((a, b) => (a.definition.name < b.definition.name ? -1 : 1));
            const { items, NextToken } = page(alarms, input.NextToken, Math.min(Number(input.MaxRecords ?? 50), 100));
            return { MetricAlarms: items.map(alarm => this.describe(alarm)), CompositeAlarms: [], ...(NextToken ? { NextToken } : {}) };
        },
        // An unknown AlarmName has no history rather than an error (the operation names no ResourceNotFound).
        DescribeAlarmHistory: input => {
            const from = input.StartDate ? new Date(input.StartDate).getTime() : -Infinity;
            const to = input.EndDate ? new Date(input.EndDate).getTime() : Infinity;
            const items = this.monitor.history.filter(item => (!input.AlarmName || item.AlarmName === input.AlarmName) && (!input.HistoryItemType || item.HistoryItemType === input.HistoryItemType)
                && item.Timestamp.getTime() >= from && item.Timestamp.getTime() <= to);
            const ordered = input.ScanBy === "TimestampAscending" ? items : [...items].reverse();
            const { items: listed, NextToken } = page(ordered, input.NextToken, Math.min(Number(input.MaxRecords ?? MAX_HISTORY_RECORDS), MAX_HISTORY_RECORDS));
            return { AlarmHistoryItems: listed, ...(NextToken ? { NextToken } : {}) };
        },
        SetAlarmState: input => {
            const alarm = this.alarm(String(required(input, "AlarmName")));
            const state = String(required(input, "StateValue")) as AlarmStateValue;
            if (!["OK", "ALARM", "INSUFFICIENT_DATA"].includes(state)) {
                throw new AwsError("ValidationError", `1 validation error detected: Value '${state}' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]`);
            }
            if (input.StateReasonData !== undefined) {
                try {
                    JSON.parse(input.StateReasonData);
                } catch {
                    throw new AwsError("InvalidFormat", "StateReasonData is not valid JSON.");
                }
            }
            this.monitor.transition(alarm, state, String(required(input, "StateReason")), input.StateReasonData);
            return {};
        },
    };
}
