import type { Clock } from "../../clock";
import type { SandboxContext } from "../../cloud";
import type { ProviderRegistry } from "../../router";
import type { SqsService } from "../sqs";
import { AlarmDefinition, alarmDefinitions, alarmNotification, AlarmStateValue, evaluateAlarm, PeriodValue } from "./alarms";
import { MetricStore, statisticOf } from "./metrics";

/** An alarm's live state, as DescribeAlarms shows it. */
export interface AlarmRecord {
    definition: AlarmDefinition;
    state: AlarmStateValue;
    reason: string;
    reasonData?: string;
    updatedAt: number;
}

export type HistoryItemType = "ConfigurationUpdate" | "StateUpdate" | "Action";

/** An AlarmHistoryItem (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_AlarmHistoryItem.html). */
export interface HistoryItem {
    AlarmName: string;
    AlarmType: "MetricAlarm";
    Timestamp: Date;
    HistoryItemType: HistoryItemType;
    HistorySummary: string;
    HistoryData: string;
}

/**
 * One beat a (sandbox) minute: SQS reports its queue metrics once a minute
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html)
 * and alarms with periods of a minute or more are evaluated every minute.
 */
const BEAT_SECONDS = 60;

export interface AlarmMonitorOptions {
    ctx: SandboxContext;
    metrics: MetricStore;
    sqs: SqsService;
    clock: Clock;
    providers: ProviderRegistry;
}

/**
 * The program's alarms, evaluated every (scaled) minute on the metrics the sandbox records: SQS queue depths are
 * sampled at the same beat, state changes go to the history and run the state's actions (SNS topics).
 */
export class AlarmMonitor {
    readonly alarms: AlarmRecord[];
    readonly history: HistoryItem[] = [];
    private timer?: NodeJS.Timeout;
    private readonly actions = new Set<Promise<void>>();

    constructor(private readonly options: AlarmMonitorOptions) {
        const now = Date.now();
        this.alarms = alarmDefinitions(options.ctx.resources, now).map(definition => ({ definition, state: "INSUFFICIENT_DATA", reason: "Unchecked: Initial alarm creation", updatedAt: now }));
        for (const alarm of this.alarms) {
            this.record(alarm.definition.name, "ConfigurationUpdate", `Alarm "${alarm.definition.name}" created`, { type: "Create", createdAlarm: { alarmName: alarm.definition.name, metricName: alarm.definition.metric.metricName } }, now);
        }
        this.schedule();
    }

    /** Runs one evaluation beat at `at` (real ms): the queue samples of the minute that ends, then every alarm. */
    beat(at: number): void {
        this.sampleQueues(at - 1);
        for (const alarm of this.alarms) {
            const evaluation = evaluateAlarm(alarm.definition, this.periods(alarm.definition, at), at);
            if (evaluation) {
                this.transition(alarm, evaluation.state, evaluation.reason, JSON.stringify(evaluation.reasonData), at);
            }
        }
    }

    /** Moves an alarm to a state (an evaluation or SetAlarmState); a change is recorded and runs that state's actions. */
    transition(alarm: AlarmRecord, state: AlarmStateValue, reason: string, reasonData: string | undefined, at = Date.now()): void {
        if (alarm.state === state) {
            return;
        }
        const oldState = alarm.state;
        const oldReason = alarm.reason;
        Object.assign(alarm, { state, reason, reasonData, updatedAt: at });
        this.record(alarm.definition.name, "StateUpdate", `Alarm updated from ${oldState} to ${state}`, {
            version: "1.0", oldState: { stateValue: oldState, stateReason: oldReason }, newState: { stateValue: state, stateReason: reason, ...(reasonData ? { stateReasonData: JSON.parse(reasonData) } : {}) },
        }, at);
        const definition = alarm.definition;
        const actions = { ALARM: definition.alarmActions, OK: definition.okActions, INSUFFICIENT_DATA: definition.insufficientDataActions }[state];
        if (!definition.actionsEnabled) {
            return;
        }
        const notification = alarmNotification(definition, { oldState, newState: state, reason, at }, this.options.ctx.region, this.options.ctx.accountId);
        for (const action of actions) {
            const running = this.runAction(definition, action, notification, at);
            this.actions.add(running);
            void running.finally(() => this.actions.delete(running));
        }
    }

    async close(): Promise<void> {
        clearTimeout(this.timer);
        this.timer = undefined;
        await Promise.allSettled([...this.actions]);
    }

    /** The alarm's last `evaluationPeriods` whole periods before `at`, each `period` sandbox seconds long, oldest first. */
    private periods(definition: AlarmDefinition, at: number): PeriodValue[] {
        const length = this.options.clock.ms(definition.period);
        return Array.from({ length: definition.evaluationPeriods }, (_, index) => {
            const start = at - (definition.evaluationPeriods - index) * length;
            const set = this.options.metrics.aggregate(definition.metric, start, start + length, definition.unit);
            return { start, value: set && statisticOf(set, definition.statistic), sampleCount: set?.SampleCount };
        });
    }

    private sampleQueues(at: number): void {
        const { sqs, metrics, clock } = this.options;
        for (const queue of sqs.list()) {
            const counts = sqs.counts(queue);
            const oldest = Math.min(...queue.messages.map(message => message.sentAt));
            const dimensions = { QueueName: queue.name };
            metrics.put({ namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions }, counts.visible, "Count", at);
            metrics.put({ namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesNotVisible", dimensions }, counts.inFlight, "Count", at);
            metrics.put({ namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesDelayed", dimensions }, counts.delayed, "Count", at);
            // Ages are in sandbox seconds, like every duration the program configures.
            metrics.put({ namespace: "AWS/SQS", metricName: "ApproximateAgeOfOldestMessage", dimensions }, queue.messages.length > 0 ? Math.floor(clock.seconds(at - oldest)) : 0, "Seconds", at);
        }
    }

    /** Publishes the notification to an SNS action; other action kinds (Auto Scaling, EC2, SSM) are out of the sandbox and fail in the history. */
    private async runAction(definition: AlarmDefinition, action: string, notification: { subject: string; message: string }, at: number): Promise<void> {
        try {
            if (!action.startsWith("arn:aws:sns:")) {
                throw new Error(`the sandbox runs SNS actions only, not ${action}`);
            }
            await this.publish(definition, action, notification);
            this.record(definition.name, "Action", `Successfully executed action ${action}`, {
                actionState: "Succeeded", stateUpdateTimestamp: at, notificationResource: action, publishedMessage: notification.message,
            });
        } catch (error) {
            this.options.ctx.log({ kind: "error", message: `alarm ${definition.name}: action ${action} failed: ${(error as Error).message}` });
            this.record(definition.name, "Action", `Failed to execute action ${action}. Received error: "${(error as Error).message}"`, {
                actionState: "Failed", stateUpdateTimestamp: at, notificationResource: action, error: (error as Error).message,
            });
        }
    }

    /**
     * The one place alarms reach SNS: as the service principal cloudwatch.amazonaws.com, aws:SourceArn = the alarm's ARN
     * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-sns-encryption).
     */
    private async publish(definition: AlarmDefinition, topicArn: string, notification: { subject: string; message: string }): Promise<void> {
        const { ctx } = this.options;
        await this.options.providers.call("sns", "Publish", { TopicArn: topicArn, Subject: notification.subject, Message: notification.message },
            { principal: ctx.identities.service("cloudwatch.amazonaws.com"), context: { sourceArn: definition.arn, sourceAccount: ctx.accountId } });
        this.options.ctx.log({ kind: "event", message: `alarm ${definition.name} notified ${topicArn.split(":").pop()}` });
    }

    private record(alarmName: string, type: HistoryItemType, summary: string, data: Record<string, unknown>, at = Date.now()): void {
        this.history.push({ AlarmName: alarmName, AlarmType: "MetricAlarm", Timestamp: new Date(at), HistoryItemType: type, HistorySummary: summary, HistoryData: JSON.stringify(data) });
    }

    /** The next beat at the next whole (scaled) minute, so periods line up as CloudWatch's do. */
    private schedule(): void {
        const interval = this.options.clock.ms(BEAT_SECONDS);
        const next = Math.ceil((Date.now() + 1) / interval) * interval;
        this.timer = setTimeout(() => {
            this.beat(next);
            if (this.timer) {
                this.schedule();
            }
        }, next - Date.now());
        // The beat must not keep a finished process alive.
        this.timer.unref();
    }
}
