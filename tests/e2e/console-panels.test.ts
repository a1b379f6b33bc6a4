import { expect } from "chai";
import { Identities } from "../../sandbox/iam/identity";
import * as http from "http";
import type { AddressInfo } from "net";
import type { Browser, Page } from "playwright-core";
import { createConsole } from "../../sandbox/console";
import type { ServiceProvider } from "../../sandbox/provider";
import { ProviderRegistry } from "../../sandbox/router";
import { launchChromium, screenshot } from "./console-browser";

type Json = Record<string, any>;

/** Stand-ins answering with the documented output shapes of CloudWatch (monitoring), CloudWatch Logs (logs) and Lambda ListFunctions. */
function standIns(lines: { timestamp: number; message: string }[]): ServiceProvider[] {
    const provider = (signingName: string, operations: Record<string, (input: Json) => Json>): ServiceProvider =>
        ({ signingName, call: async ({ operation, input }) => operations[operation](input) });
    const updated = new Date("2026-12-02T08:00:00Z");
    return [
        provider("monitoring", {
            DescribeAlarms: () => ({ MetricAlarms: [{ AlarmName: "sp-local-order-dlq-depth", StateValue: "ALARM", StateReason: "Threshold Crossed: 1 datapoint [6.0] was greater than the threshold (5.0).", StateUpdatedTimestamp: updated }] }),
            DescribeAlarmHistory: () => ({ AlarmHistoryItems: [{ Timestamp: updated, HistoryItemType: "StateUpdate", HistorySummary: "Alarm updated from OK to ALARM" }] }),
        }),
        provider("logs", {
            FilterLogEvents: input => ({
                events: lines.map((line, index) => ({ ...line, eventId: String(index), logStreamName: "2026/12/02/[$LATEST]abc" })).filter(event => event.timestamp >= input.startTime),
            }),
        }),
        provider("lambda", { ListFunctions: () => ({ Functions: [{ FunctionName: "sp-local-fulfill-order" }, { FunctionName: "sp-local-dlq-processor" }] }) }),
    ];
}

describe("sandbox console: alarm and log panels against stand-in CloudWatch providers, in headless Chromium", function () {
    this.timeout(60_000);
    const lines = [{ timestamp: 1_000, message: "START RequestId: 1" }, { timestamp: 2_000, message: "fulfilled order 1" }];
    let server: http.Server;
    let browser: Browser;
    let page: Page;
    let consoleUrl: string;

    before(async () => {
        browser = await launchChromium();
        const serve = createConsole({ providers: new ProviderRegistry(standIns(lines)).as({ principal: new Identities("000000000000", []).root() }), outputs: {}, resources: [] });
        server = http.createServer((req, res) => void serve(req, new URL(req.url ?? "/", "http://console"), res));
        await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
        consoleUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/_console/`;
        page = await browser.newPage();
        await page.goto(consoleUrl);
    });

    after(async () => {
        await browser?.close();
        server?.close();
    });

    it("shows each alarm's state and history", async () => {
        const alarm = page.locator('#alarms [data-alarm="sp-local-order-dlq-depth"]');
        await alarm.waitFor();
        expect(await alarm.locator(".badge").textContent()).to.equal("ALARM");
        expect(await alarm.textContent()).to.contain("Threshold Crossed").and.contain("StateUpdate: Alarm updated from OK to ALARM");
    });

    it("tails a function's log group and follows new lines, each shown once", async () => {
        await page.locator("#log-function").selectOption({ label: "sp-local-fulfill-order" });
        const shown = page.locator("#logs .log-line");
        await shown.nth(1).waitFor();
        // Same millisecond as the last line shown: the next poll starts there and must not show that line again.
        lines.push({ timestamp: 2_000, message: "same instant, new line" }, { timestamp: 3_000, message: "END RequestId: 1" });
        await shown.nth(3).waitFor();
        // Polls run one after another: once a second one has answered, the first one's lines are on the page.
        for (let poll = 0; poll < 2; poll++) {
            await page.waitForResponse(answer => answer.url().includes("/_console/api/logs?"));
        }
        expect((await shown.allTextContents()).map(text => text.replace(/^\S+ /, ""))).to.deep.equal(["START RequestId: 1", "fulfilled order 1", "same instant, new line", "END RequestId: 1"]);
        await screenshot(page, "console-stand-in-cloudwatch.png");
    });

    it("says which services are not running here instead of failing", async () => {
        expect(await page.locator("#executions").textContent()).to.contain("Step Functions is not running in this sandbox.");
        expect(await page.locator("#queues").textContent()).to.contain("SQS is not running in this sandbox.");
        expect(await page.locator("#tables").textContent()).to.contain("DynamoDB is not running in this sandbox.");
    });
});
