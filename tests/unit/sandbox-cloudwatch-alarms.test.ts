import { expect } from "chai";
import { Identities } from "../../sandbox/iam/identity";
import { Clock } from "../../sandbox/clock";
import type { SandboxContext } from "../../sandbox/cloud";
import type { RecordedResource } from "../../sandbox/mock-cloud";
import { ProviderRegistry } from "../../sandbox/router";
import { AlarmDefinition, alarmDefinitions, evaluateAlarm, PeriodValue, TreatMissingData } from "../../sandbox/services/cloudwatch/alarms";
import { CloudWatchService } from "../../sandbox/services/cloudwatch";
import { MetricStore } from "../../sandbox/services/cloudwatch/metrics";
import { AlarmMonitor } from "../../sandbox/services/cloudwatch/monitor";
import { SqsService } from "../../sandbox/services/sqs";

/** The person reading alarms: the account root. */
const ROOT = { principal: new Identities("000000000000", []).root() };

const T0 = Date.UTC(2026, 11, 2, 7, 50, 0);
const TOPIC = "arn:aws:sns:us-east-1:000000000000:alerts";

function alarmResource(name: string, inputs: Record<string, unknown>): RecordedResource {
    const all = {
        name, namespace: "AWS/Lambda", metricName: "Errors", dimensions: { FunctionName: "fulfill" }, statistic: "Sum", period: 300, evaluationPeriods: 1,
        threshold: 0, comparisonOperator: "GreaterThanThreshold", treatMissingData: "notBreaching", alarmActions: [TOPIC], ...inputs,
    };
    return { type: "aws:cloudwatch/metricAlarm:MetricAlarm", name, urn: `urn:${name}`, id: name, inputs: all, state: { ...all, arn: `arn:aws:cloudwatch:us-east-1:000000000000:alarm:${name}` } };
}

function definition(inputs: Record<string, unknown>): AlarmDefinition {
    return alarmDefinitions([alarmResource("test-alarm", inputs)], T0)[0];
}

/** Periods of 60 s from T0 holding the given values (undefined = no data). */
function periods(...values: (number | undefined)[]): PeriodValue[] {
    return values.map((value, index) => ({ start: T0 + index * 60000, value, sampleCount: value === undefined ? undefined : 1 }));
}

describe("sandbox CloudWatch: alarm evaluation", () => {
    it("alarms on M of N breaching datapoints, and names them in AWS's reason", () => {
        const twoOfThree = definition({ evaluationPeriods: 3, datapointsToAlarm: 2, threshold: 5, statistic: "Maximum", period: 60 });
        const alarmed = evaluateAlarm(twoOfThree, periods(6, 1, 7), T0 + 180000)!;
        expect(alarmed.state).to.equal("ALARM");
        expect(alarmed.reason).to.equal("Threshold Crossed: 2 out of the last 3 datapoints [7.0 (02/12/26 07:52:00), 6.0 (02/12/26 07:50:00)] were greater than the threshold (5.0) (minimum 2 datapoints for OK -> ALARM transition).");
        const ok = evaluateAlarm(twoOfThree, periods(6, 1, 1), T0 + 180000)!;
        expect(ok.state).to.equal("OK");
        expect(ok.reasonData).to.include({ statistic: "Maximum", period: 60, threshold: 5 });
        expect(ok.reasonData.recentDatapoints).to.deep.equal([6, 1, 1]);
    });

    it("compares as the alarm's operator says, a value equal to the threshold breaching only the OrEqual operators", () => {
        const state = (comparisonOperator: string) => evaluateAlarm(definition({ comparisonOperator, threshold: 5 }), periods(5), T0)!.state;
        expect(["GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"].map(state)).to.deep.equal(["OK", "ALARM", "OK", "ALARM"]);
        expect(() => evaluateAlarm(definition({ comparisonOperator: "LessThanLowerOrGreaterThanUpperThreshold" }), periods(5), T0)).to.throw("does not evaluate");
    });

    it("treats a range without any data as treatMissingData says: INSUFFICIENT_DATA, OK, ALARM, or keeps the state (ignore)", () => {
        const evaluate = (treatMissingData: TreatMissingData) => evaluateAlarm(definition({ treatMissingData, evaluationPeriods: 2 }), periods(undefined, undefined), T0);
        expect(evaluate("missing")).to.include({ state: "INSUFFICIENT_DATA", reason: "Insufficient Data: no datapoints were received for 2 periods and 2 missing datapoints were treated as [Missing]." });
        expect(evaluate("notBreaching")).to.include({ state: "OK", reason: "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [NonBreaching]." });
        expect(evaluate("breaching")?.state).to.equal("ALARM");
        expect(evaluate("ignore")).to.equal(undefined);
    });

    it("fills missing periods among present ones with breaching or good values, or leaves them out (missing, ignore)", () => {
        const evaluate = (treatMissingData: TreatMissingData) => evaluateAlarm(definition({ treatMissingData, evaluationPeriods: 3, datapointsToAlarm: 2, threshold: 5 }), periods(undefined, 9, undefined), T0)!.state;
        expect(evaluate("breaching")).to.equal("ALARM");
        expect(evaluate("notBreaching")).to.equal("OK");
        expect(evaluate("missing")).to.equal("OK");
        expect(evaluate("ignore")).to.equal("OK");
    });

    it("refuses alarms it cannot evaluate (metric math, percentiles) instead of never firing them", () => {
        expect(() => alarmDefinitions([alarmResource("p99", { statistic: undefined, extendedStatistic: "p99" })], T0)).to.throw("percentiles");
    });
});

describe("sandbox CloudWatch: alarms on the sandbox clock", () => {
    const clock = new Clock(0.01);
    const period = clock.ms(300);
    const log: SandboxContext["log"] = () => undefined;
    const ctx = { region: "us-east-1", accountId: "000000000000", log, resources: [] as RecordedResource[], identities: new Identities("000000000000", []) } as unknown as SandboxContext;
    let published: Record<string, any>[];
    let metrics: MetricStore;
    let monitor: AlarmMonitor;
    let sqs: SqsService;

    const errorsMetric = { namespace: "AWS/Lambda", metricName: "Errors", dimensions: { FunctionName: "fulfill" } };
    const providers = { call: async (service: string, operation: string, input: Record<string, any>) => { published.push({ service, operation, ...input }); return { MessageId: "m" }; } } as unknown as ProviderRegistry;

    beforeEach(async () => {
        published = [];
        metrics = new MetricStore();
        ctx.resources = [
            alarmResource("fulfill-errors", { okActions: [TOPIC], alarmDescription: "fulfill-order reported errors" }),
            alarmResource("dlq-depth", { namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: "orders-dlq" }, statistic: "Maximum", period: 60, threshold: 5 }),
            { type: "aws:sqs/queue:Queue", name: "orders-dlq", urn: "urn:q", id: "q", inputs: { name: "orders-dlq" }, state: { name: "orders-dlq", url: "http://local/000000000000/orders-dlq", arn: "arn:aws:sqs:us-east-1:000000000000:orders-dlq" } },
        ];
        sqs = new SqsService(ctx, clock);
        monitor = new AlarmMonitor({ ctx, metrics, sqs, clock, providers });
        // The test beats by hand at chosen instants; the monitor's own beat stays out of it.
        await monitor.close();
    });

    const alarm = (name: string) => monitor.alarms.find(item => item.definition.name === name)!;

    it("counts a datapoint in the period it falls in: [start, end) of `period` sandbox seconds (3 s for 300 s at scale 0.01)", async () => {
        metrics.put(errorsMetric, 1, "Count", T0 + period);
        monitor.beat(T0 + period);
        expect(alarm("fulfill-errors").state).to.equal("OK");
        monitor.beat(T0 + 2 * period - 1);
        expect(alarm("fulfill-errors").state).to.equal("ALARM");
        monitor.beat(T0 + 2 * period + 1);
        expect(alarm("fulfill-errors").state).to.equal("OK");
        await monitor.close();
        expect(published.map(item => item.Subject)).to.deep.equal([
            'OK: "fulfill-errors" in US East (N. Virginia)', 'ALARM: "fulfill-errors" in US East (N. Virginia)', 'OK: "fulfill-errors" in US East (N. Virginia)',
        ]);
    });

    it("publishes AWS's alarm notification to the alarm's topic and records the state update and the action in its history", async () => {
        metrics.put(errorsMetric, 1, "Count", T0 + 10);
        metrics.put(errorsMetric, 1, "Count", T0 + 20);
        monitor.beat(T0 + period);
        await monitor.close();
        const notification = published.find(item => item.Subject.startsWith("ALARM"))!;
        expect(notification).to.include({ service: "sns", operation: "Publish", TopicArn: TOPIC });
        const message = JSON.parse(notification.Message);
        expect(message).to.include({
            AlarmName: "fulfill-errors", AlarmDescription: "fulfill-order reported errors", AWSAccountId: "000000000000", NewStateValue: "ALARM", OldStateValue: "INSUFFICIENT_DATA",
            Region: "US East (N. Virginia)", AlarmArn: "arn:aws:cloudwatch:us-east-1:000000000000:alarm:fulfill-errors", StateChangeTime: new Date(T0 + period).toISOString().replace("Z", "+0000"),
        });
        expect(message.NewStateReason).to.match(/^Threshold Crossed: 1 out of the last 1 datapoints \[2\.0 \(02\/12\/26 07:50:00\)\] was greater than the threshold \(0\.0\)/);
        expect(message.Trigger).to.deep.include({
            MetricName: "Errors", Namespace: "AWS/Lambda", StatisticType: "Statistic", Statistic: "SUM", Dimensions: [{ value: "fulfill", name: "FunctionName" }],
            Period: 300, EvaluationPeriods: 1, ComparisonOperator: "GreaterThanThreshold", Threshold: 0, TreatMissingData: "notBreaching",
        });
        const history = monitor.history.filter(item => item.AlarmName === "fulfill-errors").map(item => `${item.HistoryItemType}: ${item.HistorySummary}`);
        expect(history).to.deep.equal(['ConfigurationUpdate: Alarm "fulfill-errors" created', "StateUpdate: Alarm updated from INSUFFICIENT_DATA to ALARM", `Action: Successfully executed action ${TOPIC}`]);
    });

    it("samples each queue's visible messages once a minute, so six messages in the DLQ raise its depth alarm at the next beat", async () => {
        const at = Date.now();
        monitor.beat(at);
        expect(alarm("dlq-depth").state).to.equal("OK");
        for (let index = 0; index < 6; index++) {
            sqs.send("orders-dlq", `order ${index}`);
        }
        monitor.beat(at + clock.ms(60));
        expect(alarm("dlq-depth").state).to.equal("ALARM");
        expect(metrics.aggregate({ namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: "orders-dlq" } }, at, at + clock.ms(60))).to.include({ Maximum: 6, SampleCount: 1 });
        await monitor.close();
        expect(published.filter(item => item.Subject.includes("dlq-depth")).map(item => item.Subject)).to.deep.equal(['ALARM: "dlq-depth" in US East (N. Virginia)']);
    });

    it("answers DescribeAlarms and DescribeAlarmHistory in process, as the console reads them through the registry", async () => {
        const cloudWatch = new CloudWatchService(ctx, { metrics, sqs, clock, providers });
        // Beats by hand only.
        await cloudWatch.close();
        const registry = new ProviderRegistry([cloudWatch]);
        cloudWatch.monitor.beat(Date.now());
        const { MetricAlarms } = await registry.call("monitoring", "DescribeAlarms", { StateValue: "OK" }, ROOT);
        expect(MetricAlarms.map((item: { AlarmName: string }) => item.AlarmName)).to.deep.equal(["dlq-depth", "fulfill-errors"]);
        const { AlarmHistoryItems } = await registry.call("monitoring", "DescribeAlarmHistory", { AlarmName: "dlq-depth", HistoryItemType: "StateUpdate" }, ROOT);
        expect(AlarmHistoryItems.map((item: { HistorySummary: string }) => item.HistorySummary)).to.deep.equal(["Alarm updated from INSUFFICIENT_DATA to OK"]);
        expect((await registry.call("monitoring", "DescribeAlarmHistory", { AlarmName: "no-such-alarm" }, ROOT)).AlarmHistoryItems).to.deep.equal([]);
        await registry.call("monitoring", "SetAlarmState", { AlarmName: "no-such-alarm", StateValue: "OK", StateReason: "test" }, ROOT)
            .then(() => expect.fail("set the state of a missing alarm"), (error: Error) => expect(error.name).to.equal("ResourceNotFound"));
    });
});
