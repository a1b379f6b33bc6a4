import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface ThresholdAlarmArgs extends Omit<aws.cloudwatch.MetricAlarmArgs, "comparisonOperator" | "evaluationPeriods" | "treatMissingData" | "alarmActions" | "okActions"> {
    /** Topic told when the alarm fires. Default: none (the alarm only changes state, visible in CloudWatch). */
    alertsTopicArn?: pulumi.Input<string>;
    /** Tell the topic when the alarm clears as well. Default: false. */
    notifyOnRecovery?: boolean;
}

/** An alarm on one metric rising above its threshold in a single period; missing data counts as fine. */
export function thresholdAlarm(name: string, args: ThresholdAlarmArgs, opts?: pulumi.CustomResourceOptions): aws.cloudwatch.MetricAlarm {
    const { alertsTopicArn, notifyOnRecovery, ...metric } = args;
    return new aws.cloudwatch.MetricAlarm(name, {
        comparisonOperator: "GreaterThanThreshold",
        evaluationPeriods: 1,
        treatMissingData: "notBreaching",
        alarmActions: alertsTopicArn ? [alertsTopicArn] : [],
        ...(notifyOnRecovery && alertsTopicArn ? { okActions: [alertsTopicArn] } : {}),
        ...metric,
    }, opts);
}

/** CloudWatch namespace of the counters that metric filters make from function logs. */
export const LOG_METRICS_NAMESPACE = "ServerlessPipelines";

export interface LogTermAlarmArgs {
    alertsTopicArn?: pulumi.Input<string>;
    logGroupName: pulumi.Input<string>;
    /** A word of the log line to count, e.g. the `event` of a JSON log line. */
    term: string;
    /** Physical name of both the metric and the alarm. */
    metricName: string;
    alarmDescription: string;
}

/** Counts the log lines holding `term` in a metric and alarms when any appear in five minutes. */
export function logTermAlarm(name: string, args: LogTermAlarmArgs, opts?: pulumi.CustomResourceOptions): aws.cloudwatch.MetricAlarm {
    new aws.cloudwatch.LogMetricFilter(`${name}-filter`, {
        logGroupName: args.logGroupName,
        // A quoted term: the Node runtime prefixes console output with time and request id, so a JSON pattern would not match.
        pattern: JSON.stringify(args.term),
        metricTransformation: { name: args.metricName, namespace: LOG_METRICS_NAMESPACE, value: "1" },
    }, opts);
    return thresholdAlarm(name, {
        alertsTopicArn: args.alertsTopicArn,
        name: args.metricName,
        alarmDescription: args.alarmDescription,
        namespace: LOG_METRICS_NAMESPACE,
        metricName: args.metricName,
        statistic: "Sum",
        period: 300,
        threshold: 0,
    }, opts);
}
