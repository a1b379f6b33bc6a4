import { expect } from "chai";
import { awsCli, requireAwsCliV2 } from "./aws-cli-v2";
import { startProgramSandbox, ProgramSandbox } from "./program-sandbox";
import { eventually } from "./sandbox-support";

const DLQ_DEPTH_ALARM = "sp-local-order-dlq-depth";
const UNPROCESSABLE_ALARM = "sp-local-order-dlq-unprocessable";
/** At the default time scale a sandbox minute lasts 6 s: an alarm needs up to two beats to see a change; the rest is room for a loaded machine. */
const ALARM_DEADLINE_MS = 60000;

describe("sandbox CloudWatch: the order DLQ alarm, as a person would see it with the AWS CLI", function () {
    this.timeout(180000);
    let sandbox: ProgramSandbox;
    let cli: (...args: string[]) => Promise<any>;

    before(async () => {
        await requireAwsCliV2();
        sandbox = await startProgramSandbox();
        cli = (...args) => awsCli(sandbox.endpoint, ...args);
    });

    after(async () => {
        await sandbox?.close();
    });

    const alarmState = async (name: string) => (await cli("cloudwatch", "describe-alarms", "--alarm-names", name)).MetricAlarms[0];

    /** Polls the test queue subscribed to the alerts topic for the notification of `alarmName` entering `state`. */
    const notification = (queueUrl: string, alarmName: string, state: string) => eventually(`the ${state} notification of ${alarmName}`, async () => {
        const received = await cli("sqs", "receive-message", "--queue-url", queueUrl, "--max-number-of-messages", "10", "--wait-time-seconds", "1");
        const envelopes = (received?.Messages ?? []).map((message: { Body: string }) => JSON.parse(message.Body));
        return envelopes.find((envelope: { Message: string }) => {
            const alarm = JSON.parse(envelope.Message);
            return alarm.AlarmName === alarmName && alarm.NewStateValue === state;
        });
    }, ALARM_DEADLINE_MS);

    it("goes to ALARM and notifies the alerts topic when six orders wait in the DLQ with its consumer stopped, and back to OK once it runs again", async () => {
        const { orderDlqUrl, orderAlertsTopicArn } = sandbox.outputs;
        const dlqArn = (await cli("sqs", "get-queue-attributes", "--queue-url", orderDlqUrl, "--attribute-names", "QueueArn")).Attributes.QueueArn;
        const [mapping] = (await cli("lambda", "list-event-source-mappings", "--event-source-arn", dlqArn)).EventSourceMappings;
        expect(mapping).to.include({ State: "Enabled", FunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:sp-local-order-dlq-processor" });
        expect(await cli("lambda", "update-event-source-mapping", "--uuid", mapping.UUID, "--no-enabled")).to.include({ UUID: mapping.UUID, State: "Disabling" });
        expect(await cli("lambda", "get-event-source-mapping", "--uuid", mapping.UUID)).to.include({ State: "Disabled" });

        // As on AWS, the topic delivers only to a queue whose policy lets SNS send for that topic.
        const alertsQueueArn = "arn:aws:sqs:us-east-1:000000000000:alarm-test-alerts";
        const queuePolicy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage", Resource: alertsQueueArn, Condition: { ArnEquals: { "aws:SourceArn": orderAlertsTopicArn } } }] };
        const alertsQueueUrl = (await cli("sqs", "create-queue", "--queue-name", "alarm-test-alerts", "--attributes", JSON.stringify({ Policy: JSON.stringify(queuePolicy) }))).QueueUrl;
        expect((await cli("sqs", "get-queue-attributes", "--queue-url", alertsQueueUrl, "--attribute-names", "QueueArn")).Attributes.QueueArn).to.equal(alertsQueueArn);
        await cli("sns", "subscribe", "--topic-arn", orderAlertsTopicArn, "--protocol", "sqs", "--notification-endpoint", alertsQueueArn);
        await eventually("the DLQ depth alarm's first evaluation", async () => ((await alarmState(DLQ_DEPTH_ALARM)).StateValue === "OK" ? true : undefined), ALARM_DEADLINE_MS);

        for (let index = 1; index <= 6; index++) {
            await cli("sqs", "send-message", "--queue-url", orderDlqUrl, "--message-body", `not an order ${index}`);
        }
        const alarmed = await eventually("the DLQ depth alarm", async () => {
            const alarm = await alarmState(DLQ_DEPTH_ALARM);
            return alarm.StateValue === "ALARM" ? alarm : undefined;
        }, ALARM_DEADLINE_MS);
        expect(alarmed.StateReason).to.match(/^Threshold Crossed: 1 out of the last 1 datapoints \[6\.0 \(.+\)\] was greater than the threshold \(5\.0\)/);
        const envelope = await notification(alertsQueueUrl, DLQ_DEPTH_ALARM, "ALARM");
        expect(envelope).to.include({ Type: "Notification", TopicArn: orderAlertsTopicArn, Subject: `ALARM: "${DLQ_DEPTH_ALARM}" in US East (N. Virginia)` });
        expect(JSON.parse(envelope.Message)).to.deep.include({
            OldStateValue: "OK", AlarmArn: `arn:aws:cloudwatch:us-east-1:000000000000:alarm:${DLQ_DEPTH_ALARM}`, AlarmDescription: "More than 5 orders are waiting in the order DLQ",
        });
        const history = (await cli("cloudwatch", "describe-alarm-history", "--alarm-name", DLQ_DEPTH_ALARM)).AlarmHistoryItems.map((item: { HistorySummary: string }) => item.HistorySummary);
        expect(history).to.include.members(["Alarm updated from OK to ALARM", `Successfully executed action ${orderAlertsTopicArn}`]);

        // The consumer records the six non-orders as unprocessable: the DLQ empties and the log metric filter's alarm fires.
        await cli("lambda", "update-event-source-mapping", "--uuid", mapping.UUID, "--enabled");
        await notification(alertsQueueUrl, DLQ_DEPTH_ALARM, "OK");
        await notification(alertsQueueUrl, UNPROCESSABLE_ALARM, "ALARM");
        const logged = await cli("logs", "filter-log-events", "--log-group-name", "/aws/lambda/sp-local-order-dlq-processor", "--filter-pattern", '"order-message-unprocessable"');
        // A batch retried after a timeout logs its messages again: six distinct messages, at least six lines.
        const messageIds = new Set(logged.events.map((event: { message: string }) => JSON.parse(event.message.split("\t")[3]).messageId));
        expect(messageIds.size).to.equal(6);
        expect(logged.events[0].message).to.match(/^\S+Z\t\S+\tERROR\t\{"event":"order-message-unprocessable"/);
    });
});
