import { expect } from "chai";
import { mkdtempSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import type { RunningSandbox } from "../../sandbox/main";
import { eventually } from "../e2e/sandbox-support";
import { aws, awsJson, requireAwsCli } from "./aws-cli";
import { programSandbox } from "./program-sandbox";

const GET_ORDER = "sp-local-get-order";

describe("the program's alarms, metrics and logs as the AWS CLI shows them", function () {
    this.timeout(240000);
    let sandbox: RunningSandbox;
    let endpoint: string;
    const window = () => ["--start-time", new Date(Date.now() - 600000).toISOString(), "--end-time", new Date(Date.now() + 60000).toISOString()];

    before(async () => {
        requireAwsCli();
        sandbox = await programSandbox();
        endpoint = sandbox.endpoint;
    });

    it("describe-alarms lists every alarm the program deploys with its metric, threshold and actions, evaluated from INSUFFICIENT_DATA on", async () => {
        const deployed = sandbox.resources.filter(resource => resource.type === "aws:cloudwatch/metricAlarm:MetricAlarm");
        const shown = (await awsJson(endpoint, "cloudwatch", "describe-alarms")).MetricAlarms;
        expect(shown.map((alarm: any) => alarm.AlarmName)).to.deep.equal(deployed.map(alarm => alarm.state.name).sort());
        const depth = shown.find((alarm: any) => alarm.AlarmName === "sp-local-order-dlq-depth");
        expect(depth).to.deep.include({
            Namespace: "AWS/SQS", MetricName: "ApproximateNumberOfMessagesVisible", Statistic: "Maximum", Dimensions: [{ Name: "QueueName", Value: "sp-local-order-queue-dlq" }],
            Period: 60, EvaluationPeriods: 1, Threshold: 5, ComparisonOperator: "GreaterThanThreshold", TreatMissingData: "notBreaching",
            AlarmActions: [sandbox.outputs.orderAlertsTopicArn], OKActions: [sandbox.outputs.orderAlertsTopicArn],
        });
        const evaluated = await eventually("the first evaluation", async () => {
            const alarm = (await awsJson(endpoint, "cloudwatch", "describe-alarms", "--alarm-names", "sp-local-order-dlq-depth")).MetricAlarms[0];
            return alarm.StateValue === "INSUFFICIENT_DATA" ? undefined : alarm;
        }, 20000);
        expect(evaluated.StateReason).to.match(/^Threshold Crossed: 1 out of the last 1 datapoints \[0\.0 \(\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d\)\] was not greater than the threshold \(5\.0\)/);
        const names = await aws(endpoint, "cloudwatch", "describe-alarms", "--alarm-name-prefix", "sp-local-events-", "--query", "MetricAlarms[].AlarmName", "--output", "text");
        expect(names.stdout.trim().split(/\s+/)).to.deep.equal(["sp-local-events-confirmations-dlq-alarm", "sp-local-events-dlq-alarm"]);
    });

    it("set-alarm-state moves an alarm, notifies its topic and shows in describe-alarm-history; an unknown alarm is ResourceNotFound", async () => {
        const name = "sp-local-order-workflow-failed";
        await eventually("the alarm to be OK", async () => ((await awsJson(endpoint, "cloudwatch", "describe-alarms", "--alarm-names", name)).MetricAlarms[0].StateValue === "OK" ? true : undefined), 20000);
        await awsJson(endpoint, "cloudwatch", "set-alarm-state", "--alarm-name", name, "--state-value", "ALARM", "--state-reason", "testing the alerts topic");
        const items = await eventually("the action in the history", async () => {
            const history = (await awsJson(endpoint, "cloudwatch", "describe-alarm-history", "--alarm-name", name)).AlarmHistoryItems;
            return history.some((item: any) => item.HistoryItemType === "Action") ? history : undefined;
        });
        const update = items.find((item: any) => item.HistorySummary === "Alarm updated from OK to ALARM");
        expect(JSON.parse(update.HistoryData).newState).to.deep.equal({ stateValue: "ALARM", stateReason: "testing the alerts topic" });
        expect(items.map((item: any) => `${item.HistoryItemType}: ${item.HistorySummary}`)).to.include.members([
            `StateUpdate: Alarm updated from OK to ALARM`, `Action: Successfully executed action ${sandbox.outputs.orderAlertsTopicArn}`, `ConfigurationUpdate: Alarm "${name}" created`,
        ]);
        const stateUpdates = await awsJson(endpoint, "cloudwatch", "describe-alarm-history", "--alarm-name", name, "--history-item-type", "StateUpdate");
        expect(stateUpdates.AlarmHistoryItems.every((item: any) => item.HistoryItemType === "StateUpdate")).to.equal(true);
        const unknown = await aws(endpoint, "cloudwatch", "set-alarm-state", "--alarm-name", "no-such-alarm", "--state-value", "OK", "--state-reason", "x");
        expect(unknown.code).to.not.equal(0);
        expect(unknown.stderr).to.contain("(ResourceNotFound)").and.to.contain("Alarm no-such-alarm not found");
    });

    it("get-metric-statistics aggregates put-metric-data and the functions' Invocations per period; a period off the minute is refused", async () => {
        for (const value of ["1", "2", "3"]) {
            await awsJson(endpoint, "cloudwatch", "put-metric-data", "--namespace", "Conformance", "--metric-name", "Orders", "--unit", "Count", "--value", value, "--dimensions", "Shop=one");
        }
        const custom = await awsJson(endpoint, "cloudwatch", "get-metric-statistics", "--namespace", "Conformance", "--metric-name", "Orders", "--dimensions", "Name=Shop,Value=one",
            ...window(), "--period", "3600", "--statistics", "Sum", "Average", "Minimum", "Maximum", "SampleCount");
        expect(custom.Label).to.equal("Orders");
        expect(custom.Datapoints).to.have.length(1);
        expect(custom.Datapoints[0]).to.include({ Sum: 6, Average: 2, Minimum: 1, Maximum: 3, SampleCount: 3, Unit: "Count" });

        const out = path.join(mkdtempSync(path.join(tmpdir(), "cw-invoke-")), "out.json");
        await awsJson(endpoint, "lambda", "invoke", "--function-name", GET_ORDER, "--cli-binary-format", "raw-in-base64-out", "--payload", "{}", out);
        const invocations = await awsJson(endpoint, "cloudwatch", "get-metric-statistics", "--namespace", "AWS/Lambda", "--metric-name", "Invocations",
            "--dimensions", `Name=FunctionName,Value=${GET_ORDER}`, ...window(), "--period", "3600", "--statistics", "Sum");
        expect(invocations.Datapoints[0].Sum).to.be.at.least(1);
        const listed = await awsJson(endpoint, "cloudwatch", "list-metrics", "--namespace", "AWS/Lambda", "--dimensions", `Name=FunctionName,Value=${GET_ORDER}`);
        expect(listed.Metrics.map((metric: any) => metric.MetricName)).to.include.members(["Invocations", "Errors", "Duration"]);

        const refused = await aws(endpoint, "cloudwatch", "get-metric-statistics", "--namespace", "Conformance", "--metric-name", "Orders", ...window(), "--period", "90", "--statistics", "Sum");
        expect(refused.code).to.not.equal(0);
        expect(refused.stderr).to.contain("(InvalidParameterValue)").and.to.contain("The parameter Period must be a multiple of 60.");
    });

    it("shows a function's output in its log group: describe-log-groups, filter-log-events with a pattern, and logs tail", async () => {
        const groups = (await awsJson(endpoint, "logs", "describe-log-groups", "--log-group-name-prefix", "/aws/lambda/sp-local-get")).logGroups;
        expect(groups.map((group: any) => [group.logGroupName, group.retentionInDays])).to.deep.equal([[`/aws/lambda/${GET_ORDER}`, 1]]);
        const out = path.join(mkdtempSync(path.join(tmpdir(), "cw-invoke-")), "out.json");
        await awsJson(endpoint, "lambda", "invoke", "--function-name", GET_ORDER, "--cli-binary-format", "raw-in-base64-out", "--payload", "{}", out);
        const reports = await awsJson(endpoint, "logs", "filter-log-events", "--log-group-name", `/aws/lambda/${GET_ORDER}`, "--filter-pattern", "REPORT");
        expect(reports.events.length).to.be.at.least(1);
        expect(reports.events[0].logStreamName).to.match(/^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
        expect(reports.events[0].message).to.match(/^REPORT RequestId: \S+\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: \d+ MB/);
        const tail = await aws(endpoint, "logs", "tail", `/aws/lambda/${GET_ORDER}`);
        expect(tail.code).to.equal(0);
        expect(tail.stdout).to.match(/^\S+ \d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32} START RequestId: \S+ Version: \$LATEST$/m);
        const missing = await aws(endpoint, "logs", "filter-log-events", "--log-group-name", "/aws/lambda/no-such-function");
        expect(missing.stderr).to.contain("(ResourceNotFoundException)").and.to.contain("The specified log group does not exist.");
    });
});
