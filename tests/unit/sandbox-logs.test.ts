import { expect } from "chai";
import type { RecordedResource } from "../../sandbox/mock-cloud";
import { MetricStore } from "../../sandbox/services/cloudwatch/metrics";
import { LogsService } from "../../sandbox/services/logs";
import { compileFilterPattern } from "../../sandbox/services/logs/filter-pattern";

const GROUP = "/aws/lambda/dlq-processor";
const LINE = '2026-12-02T07:50:00.000Z\tabc-1\tERROR\t{"event":"order-message-unprocessable","messageId":"m-1"}\n';

describe("sandbox CloudWatch Logs", () => {
    it("matches filter patterns as CloudWatch Logs does: all terms, quoted phrases, one of the ?terms, none of the -terms, case-sensitive", () => {
        const matches = (pattern: string, message: string) => compileFilterPattern(pattern)(message);
        expect(matches('"order-message-unprocessable"', LINE)).to.equal(true);
        expect(matches("ERROR unprocessable", LINE)).to.equal(true);
        expect(matches("error", LINE)).to.equal(false);
        expect(matches('"order message"', LINE)).to.equal(false);
        expect(matches("?WARN ?ERROR", LINE)).to.equal(true);
        expect(matches("ERROR -m-1", LINE)).to.equal(false);
        expect(matches("", LINE)).to.equal(true);
        expect(() => compileFilterPattern('{ $.event = "x" }')).to.throw("term and phrase filter patterns only");
    });

    it("counts the lines a metric filter matches into its metric, in the group's events at their timestamps", () => {
        const metrics = new MetricStore();
        const filter: RecordedResource = {
            type: "aws:cloudwatch/logMetricFilter:LogMetricFilter", name: "unprocessable", urn: "urn:f", id: "f",
            inputs: { logGroupName: GROUP, pattern: '"order-message-unprocessable"', metricTransformation: { name: "unprocessable", namespace: "ServerlessPipelines", value: "1" } }, state: {},
        };
        const logs = new LogsService({ region: "us-east-1", accountId: "000000000000", resources: [filter] }, metrics);
        const at = Date.now();
        logs.write(GROUP, "2026/12/02/[$LATEST]a", at, LINE);
        logs.write(GROUP, "2026/12/02/[$LATEST]a", at + 1, "2026-12-02T07:50:00.001Z\tabc-1\tINFO\tsomething else\n");
        logs.write(GROUP, "2026/12/02/[$LATEST]b", at + 2, LINE);
        expect(metrics.aggregate({ namespace: "ServerlessPipelines", metricName: "unprocessable", dimensions: {} }, at, at + 3)).to.include({ Sum: 2, SampleCount: 2 });
    });

    it("pages GetLogEvents with f/ and b/ tokens: from the head forward, or the newest events first", async () => {
        const logs = new LogsService({ region: "us-east-1", accountId: "000000000000", resources: [] }, new MetricStore());
        const at = Date.now();
        ["one", "two", "three"].forEach((message, index) => logs.write(GROUP, "s", at + index, message));
        const read = (input: Record<string, unknown>) => logs.call({ operation: "GetLogEvents", input: { logGroupName: GROUP, logStreamName: "s", limit: 2, ...input } });
        const head = await read({ startFromHead: true });
        expect(head.events.map((event: { message: string }) => event.message)).to.deep.equal(["one", "two"]);
        expect((await read({ nextToken: head.nextForwardToken })).events.map((event: { message: string }) => event.message)).to.deep.equal(["three"]);
        const tail = await read({});
        expect(tail.events.map((event: { message: string }) => event.message)).to.deep.equal(["two", "three"]);
        expect((await read({ nextToken: tail.nextBackwardToken })).events.map((event: { message: string }) => event.message)).to.deep.equal(["one"]);
        await logs.call({ operation: "GetLogEvents", input: { logGroupName: "/nope", logStreamName: "s" } }).then(() => expect.fail("read a missing group"), (error: Error) => expect(error.name).to.equal("ResourceNotFoundException"));
    });
});
