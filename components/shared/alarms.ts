import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface ThresholdAlarmArgs extends Omit<aws.cloudwatch.MetricAlarmArgs, "comparisonOperator" | "evaluationPeriods" | "treatMissingData" | "alarmActions" | "okActions"> {
    /** Topic told when the alarm fires. */
    alertsTopicArn: pulumi.Input<string>;
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
        alarmActions: [alertsTopicArn],
        ...(notifyOnRecovery ? { okActions: [alertsTopicArn] } : {}),
        ...metric,
    }, opts);
}
