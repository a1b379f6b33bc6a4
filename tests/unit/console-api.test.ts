import { expect } from "chai";
import { Identities } from "../../sandbox/iam/identity";
import { answerApi, ConsoleSources } from "../../sandbox/console/api";
import type { SandboxContext } from "../../sandbox/cloud";
import type { ServiceProvider } from "../../sandbox/provider";
import { ProviderRegistry } from "../../sandbox/router";
import { SqsService } from "../../sandbox/services/sqs";

type Json = Record<string, any>;

/** A provider answering in process with the documented output shapes of the operations it is given. */
function fakeProvider(signingName: string, operations: Record<string, (input: Json) => Json>): ServiceProvider & { calls: [string, Json][] } {
    const calls: [string, Json][] = [];
    return {
        signingName, calls,
        call: async ({ operation, input }) => {
            calls.push([operation, input]);
            return operations[operation](input);
        },
    };
}

const ALARM_TIME = new Date("2026-12-02T08:00:00Z");

/** CloudWatch as the API reference shapes it: DescribeAlarms (MetricAlarms, CompositeAlarms) and DescribeAlarmHistory (AlarmHistoryItems, newest first). */
function fakeCloudWatch() {
    return fakeProvider("monitoring", {
        DescribeAlarms: () => ({
            MetricAlarms: [{
                AlarmName: "sp-local-order-dlq-depth", StateValue: "ALARM", StateReason: "Threshold Crossed: 1 datapoint [6.0] was greater than the threshold (5.0).",
                StateUpdatedTimestamp: ALARM_TIME, Namespace: "AWS/SQS", MetricName: "ApproximateNumberOfMessagesVisible", ComparisonOperator: "GreaterThanThreshold", Threshold: 5,
            }],
            CompositeAlarms: [],
        }),
        DescribeAlarmHistory: input => ({
            AlarmHistoryItems: input.AlarmName === "sp-local-order-dlq-depth" ? [
                { AlarmName: input.AlarmName, Timestamp: ALARM_TIME, HistoryItemType: "StateUpdate", HistorySummary: "Alarm updated from OK to ALARM" },
                { AlarmName: input.AlarmName, Timestamp: new Date(ALARM_TIME.getTime() - 60_000), HistoryItemType: "ConfigurationUpdate", HistorySummary: "Alarm \"sp-local-order-dlq-depth\" created" },
            ] : [],
        }),
    });
}

/** CloudWatch Logs FilterLogEvents: events from startTime on, two per page with a nextToken. */
function fakeLogs(lines: { timestamp: number; message: string }[]) {
    return fakeProvider("logs", {
        FilterLogEvents: input => {
            const matching = lines.map((line, index) => ({ ...line, eventId: `e${index}`, logStreamName: "2026/12/02/[$LATEST]abc", ingestionTime: line.timestamp + 5 }))
                .filter(event => event.timestamp >= (input.startTime ?? 0));
            const start = Number(input.nextToken ?? 0);
            return { events: matching.slice(start, start + 2), searchedLogStreams: [], ...(start + 2 < matching.length ? { nextToken: String(start + 2) } : {}) };
        },
    });
}

function sources(...providers: ServiceProvider[]): ConsoleSources {
    return { providers: new ProviderRegistry(providers).as({ principal: new Identities("000000000000", []).root() }), outputs: {}, resources: [] };
}

describe("console API", () => {
    describe("alarms and logs against CloudWatch's documented shapes", () => {
        it("alarms: each alarm's state, reason, metric and newest history", async () => {
            const cloudWatch = fakeCloudWatch();
            const answer = await answerApi(sources(cloudWatch), "alarms", new URLSearchParams());
            expect(answer.status).to.equal(200);
            expect(answer.body).to.deep.equal({
                available: true,
                alarms: [{
                    name: "sp-local-order-dlq-depth", state: "ALARM", reason: "Threshold Crossed: 1 datapoint [6.0] was greater than the threshold (5.0).", updatedMs: ALARM_TIME.getTime(),
                    metric: "AWS/SQS ApproximateNumberOfMessagesVisible GreaterThanThreshold 5",
                    history: [
                        { timestampMs: ALARM_TIME.getTime(), type: "StateUpdate", summary: "Alarm updated from OK to ALARM" },
                        { timestampMs: ALARM_TIME.getTime() - 60_000, type: "ConfigurationUpdate", summary: "Alarm \"sp-local-order-dlq-depth\" created" },
                    ],
                }],
            });
            expect(cloudWatch.calls[1]).to.deep.equal(["DescribeAlarmHistory", { AlarmName: "sp-local-order-dlq-depth", MaxRecords: 10, ScanBy: "TimestampDescending" }]);
        });

        it("logs: a group's lines from `since` on, across FilterLogEvents pages", async () => {
            const logs = fakeLogs([100, 200, 300, 400, 500].map(timestamp => ({ timestamp, message: `line at ${timestamp}\n` })));
            const answer = await answerApi(sources(logs), "logs", new URLSearchParams({ group: "/aws/lambda/sp-local-fulfill-order", since: "200" }));
            expect(answer.status).to.equal(200);
            expect(answer.body.events.map((event: Json) => [event.id, event.timestampMs, event.message])).to.deep.equal([
                ["e1", 200, "line at 200\n"], ["e2", 300, "line at 300\n"], ["e3", 400, "line at 400\n"], ["e4", 500, "line at 500\n"],
            ]);
            expect(logs.calls.map(([, input]) => input)).to.deep.equal([
                { logGroupName: "/aws/lambda/sp-local-fulfill-order", startTime: 200 },
                { logGroupName: "/aws/lambda/sp-local-fulfill-order", startTime: 200, nextToken: "2" },
            ]);
        });

        it("without those providers both panels say they are not running; a tail without a group is 400", async () => {
            expect((await answerApi(sources(), "alarms", new URLSearchParams())).body).to.deep.equal({ available: false });
            expect((await answerApi(sources(), "logs", new URLSearchParams({ group: "/aws/lambda/x" }))).body).to.deep.equal({ available: false });
            const missing = await answerApi(sources(fakeLogs([])), "logs", new URLSearchParams());
            expect(missing).to.deep.equal({ status: 400, body: { error: "MissingParameter: The query parameter group is required." } });
        });
    });

    it("an unknown API name is 404", async () => {
        expect((await answerApi(sources(), "secrets", new URLSearchParams())).status).to.equal(404);
    });
});

describe("SQS peek", () => {
    const ctx = { endpoint: "http://127.0.0.1:4566", region: "us-east-1", accountId: "000000000000", resources: [], log: () => undefined } as unknown as SandboxContext;

    it("shows messages where they stand and changes nothing: no receive counted, nothing hidden", async () => {
        const sqs = new SqsService(ctx);
        const { QueueUrl } = await sqs.call({ operation: "CreateQueue", input: { QueueName: "peeked" } });
        await sqs.call({ operation: "SendMessage", input: { QueueUrl, MessageBody: "first" } });
        await sqs.call({ operation: "SendMessage", input: { QueueUrl, MessageBody: "second" } });
        await sqs.call({ operation: "ReceiveMessage", input: { QueueUrl, MaxNumberOfMessages: 1 } });
        const counts = async () => (await sqs.call({ operation: "GetQueueAttributes", input: { QueueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] } })).Attributes;
        const before = await counts();
        const peeked = sqs.peek(QueueUrl, 10);
        expect(peeked.map(message => [message.Body, message.state, message.ApproximateReceiveCount])).to.deep.equal([["first", "in-flight", 1], ["second", "visible", 0]]);
        expect(sqs.peek(QueueUrl, 10)).to.deep.equal(peeked);
        expect(await counts()).to.deep.equal(before);
        const { Messages } = await sqs.call({ operation: "ReceiveMessage", input: { QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["ApproximateReceiveCount"] } });
        expect(Messages.map((message: Json) => [message.Body, message.Attributes.ApproximateReceiveCount])).to.deep.equal([["second", "1"]]);
        await sqs.close();
    });
});
