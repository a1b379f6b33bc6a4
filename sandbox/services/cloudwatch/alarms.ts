import type { RecordedResource } from "../../mock-cloud";
import type { MetricId, Statistic } from "./metrics";

export type AlarmStateValue = "OK" | "ALARM" | "INSUFFICIENT_DATA";
export type TreatMissingData = "missing" | "ignore" | "breaching" | "notBreaching";

/** A metric alarm as PutMetricAlarm (here: the program's `aws.cloudwatch.MetricAlarm`) defines it. */
export interface AlarmDefinition {
    name: string;
    arn: string;
    description?: string;
    actionsEnabled: boolean;
    alarmActions: string[];
    okActions: string[];
    insufficientDataActions: string[];
    metric: MetricId;
    statistic: Statistic;
    unit?: string;
    /** Seconds on the sandbox clock. */
    period: number;
    evaluationPeriods: number;
    datapointsToAlarm: number;
    threshold: number;
    comparisonOperator: string;
    treatMissingData: TreatMissingData;
    configurationUpdatedAt: number;
}

/** One period of the evaluation range: its start (real ms) and the statistic's value, undefined when no data arrived. */
export interface PeriodValue {
    start: number;
    value?: number;
    sampleCount?: number;
}

export interface Evaluation {
    state: AlarmStateValue;
    reason: string;
    reasonData: Record<string, unknown>;
}

const COMPARISONS: Record<string, { test: (value: number, threshold: number) => boolean; words: string }> = {
    GreaterThanThreshold: { test: (value, threshold) => value > threshold, words: "greater than" },
    GreaterThanOrEqualToThreshold: { test: (value, threshold) => value >= threshold, words: "greater than or equal to" },
    LessThanThreshold: { test: (value, threshold) => value < threshold, words: "less than" },
    LessThanOrEqualToThreshold: { test: (value, threshold) => value <= threshold, words: "less than or equal to" },
};

/** The program's `aws:cloudwatch/metricAlarm:MetricAlarm` resources with CloudWatch's defaults (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html). */
export function alarmDefinitions(resources: RecordedResource[], deployedAt: number): AlarmDefinition[] {
    return resources.filter(resource => resource.type === "aws:cloudwatch/metricAlarm:MetricAlarm").map(resource => {
        const inputs = resource.inputs;
        if (inputs.metricQueries?.length || inputs.extendedStatistic) {
            throw new Error(`alarm ${resource.name}: the sandbox evaluates alarms on one metric's Statistic, not metric math or percentiles`);
        }
        const evaluationPeriods = Number(inputs.evaluationPeriods);
        return {
            name: resource.state.name, arn: resource.state.arn, description: inputs.alarmDescription,
            actionsEnabled: inputs.actionsEnabled !== false, alarmActions: inputs.alarmActions ?? [], okActions: inputs.okActions ?? [], insufficientDataActions: inputs.insufficientDataActions ?? [],
            metric: { namespace: inputs.namespace, metricName: inputs.metricName, dimensions: inputs.dimensions ?? {} },
            statistic: inputs.statistic, unit: inputs.unit, period: Number(inputs.period), evaluationPeriods,
            datapointsToAlarm: Number(inputs.datapointsToAlarm ?? evaluationPeriods), threshold: Number(inputs.threshold),
            comparisonOperator: inputs.comparisonOperator, treatMissingData: inputs.treatMissingData ?? "missing", configurationUpdatedAt: deployedAt,
        };
    });
}

/** CloudWatch's timestamps in notifications and reason data: `2026-12-02T07:51:00.123+0000`. */
export function cloudWatchTime(ms: number): string {
    return new Date(ms).toISOString().replace("Z", "+0000");
}

/** `dd/MM/yy HH:mm:ss`, how state reasons date their datapoints. */
function reasonTime(ms: number): string {
    const iso = new Date(ms).toISOString();
    return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(2, 4)} ${iso.slice(11, 19)}`;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
const decimal = (value: number) => (Number.isInteger(value) ? value.toFixed(1) : String(value));

/**
 * One evaluation of an alarm over its last `evaluationPeriods` periods (oldest first), as CloudWatch does it
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation):
 * ALARM when at least `datapointsToAlarm` of them breach. Missing periods count as `treatMissingData` says:
 * breaching or not, left out (`missing`, `ignore`), and with no data at all `missing` means INSUFFICIENT_DATA and
 * `ignore` keeps the current state (undefined).
 */
export function evaluateAlarm(alarm: AlarmDefinition, periods: PeriodValue[], now: number): Evaluation | undefined {
    const comparison = COMPARISONS[alarm.comparisonOperator];
    if (!comparison) {
        throw new Error(`alarm ${alarm.name}: the sandbox does not evaluate ${alarm.comparisonOperator}`);
    }
    const present = periods.filter((period): period is PeriodValue & { value: number } => period.value !== undefined);
    const reasonData = {
        version: "1.0", queryDate: cloudWatchTime(now), startDate: cloudWatchTime(periods[0]?.start ?? now), statistic: alarm.statistic, period: alarm.period,
        recentDatapoints: present.map(period => period.value), threshold: alarm.threshold,
        evaluatedDatapoints: [...present].reverse().map(period => ({ timestamp: cloudWatchTime(period.start), sampleCount: period.sampleCount, value: period.value })),
    };
    if (present.length === 0) {
        const treatedAs = { missing: "Missing", ignore: "Ignore", breaching: "Breaching", notBreaching: "NonBreaching" }[alarm.treatMissingData];
        const detail = `no datapoints were received for ${plural(periods.length, "period")} and ${plural(periods.length, "missing datapoint")} ${periods.length === 1 ? "was" : "were"} treated as [${treatedAs}].`;
        switch (alarm.treatMissingData) {
            case "ignore":
                return undefined;
            case "missing":
                return { state: "INSUFFICIENT_DATA", reason: `Insufficient Data: ${detail}`, reasonData };
            default:
                return { state: alarm.treatMissingData === "breaching" ? "ALARM" : "OK", reason: `Threshold Crossed: ${detail}`, reasonData };
        }
    }
    const missingBreach = alarm.treatMissingData === "breaching";
    const counted = alarm.treatMissingData === "missing" || alarm.treatMissingData === "ignore" ? present.length : periods.length;
    const breaching = present.filter(period => comparison.test(period.value, alarm.threshold)).length + (missingBreach ? periods.length - present.length : 0);
    const alarmed = breaching >= alarm.datapointsToAlarm;
    const shown = [...present].reverse().filter(period => comparison.test(period.value, alarm.threshold) === alarmed);
    const listed = shown.map(period => `${decimal(period.value)} (${reasonTime(period.start)})`).join(", ");
    const verb = `${shown.length === 1 ? "was" : "were"}${alarmed ? "" : " not"}`;
    const transition = alarmed ? "OK -> ALARM" : "ALARM -> OK";
    return {
        state: alarmed ? "ALARM" : "OK",
        reason: `Threshold Crossed: ${shown.length} out of the last ${counted} datapoints [${listed}] ${verb} ${comparison.words} the threshold (${decimal(alarm.threshold)}) (minimum ${plural(alarm.datapointsToAlarm, "datapoint")} for ${transition} transition).`,
        reasonData,
    };
}

/** AWS's region names, as alarm notifications spell them (https://docs.aws.amazon.com/general/latest/gr/rande.html). */
const REGION_NAMES: Record<string, string> = {
    "us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-1": "US West (N. California)", "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)", "eu-west-2": "EU (London)", "eu-central-1": "EU (Frankfurt)", "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)", "ap-northeast-1": "Asia Pacific (Tokyo)",
};

export function regionName(region: string): string {
    return REGION_NAMES[region] ?? region;
}

/** What an alarm action publishes to its topic: AWS's alarm notification (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html). */
export function alarmNotification(alarm: AlarmDefinition, change: { oldState: AlarmStateValue; newState: AlarmStateValue; reason: string; at: number }, region: string, accountId: string): { subject: string; message: string } {
    const message = {
        AlarmName: alarm.name, AlarmDescription: alarm.description ?? null, AWSAccountId: accountId,
        AlarmConfigurationUpdatedTimestamp: cloudWatchTime(alarm.configurationUpdatedAt),
        NewStateValue: change.newState, NewStateReason: change.reason, StateChangeTime: cloudWatchTime(change.at),
        Region: regionName(region), AlarmArn: alarm.arn, OldStateValue: change.oldState,
        OKActions: alarm.okActions, AlarmActions: alarm.alarmActions, InsufficientDataActions: alarm.insufficientDataActions,
        Trigger: {
            MetricName: alarm.metric.metricName, Namespace: alarm.metric.namespace, StatisticType: "Statistic", Statistic: alarm.statistic.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase(), Unit: alarm.unit ?? null,
            Dimensions: Object.entries(alarm.metric.dimensions).map(([name, value]) => ({ value, name })),
            Period: alarm.period, EvaluationPeriods: alarm.evaluationPeriods, DatapointsToAlarm: alarm.datapointsToAlarm,
            ComparisonOperator: alarm.comparisonOperator, Threshold: alarm.threshold, TreatMissingData: alarm.treatMissingData, EvaluateLowSampleCountPercentile: "",
        },
    };
    // The subject is cut to SNS's 100 characters (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).
    return { subject: `${change.newState}: "${alarm.name}" in ${regionName(region)}`.slice(0, 100), message: JSON.stringify(message) };
}
