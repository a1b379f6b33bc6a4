import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import * as fs from "fs";
import type { Browser, Page } from "playwright-core";
import { launchChromium, screenshot } from "./console-browser";
import { ProgramSandbox, startProgramSandbox } from "./program-sandbox";
import { credentials, REGION } from "./sandbox-support";

/** An order's lifecycle at the sandbox's default time scale: FULFILLED in seconds, FAILED after three receives and the DLQ (about a minute). */
const ORDER_OUTCOME_MS = 180_000;

async function getJson(url: string): Promise<{ status: number; body: any }> {
    const response = await fetch(url);
    return { status: response.status, body: await response.json() };
}

describe("sandbox console: the real program at /_console/ in headless Chromium", function () {
    this.timeout(300_000);
    let sandbox: ProgramSandbox;
    let browser: Browser;
    let page: Page;
    const consoleUrl = () => `${sandbox.endpoint}/_console/`;

    before(async () => {
        browser = await launchChromium();
        sandbox = await startProgramSandbox();
        page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    });

    after(async () => {
        await browser?.close();
        await sandbox?.close();
    });

    describe("JSON API", () => {
        it("systems: the four systems with the stack outputs their resources answer to", async () => {
            const { status, body } = await getJson(`${consoleUrl()}api/systems`);
            expect(status).to.equal(200);
            const byName = Object.fromEntries(body.systems.map((system: any) => [system.name, system]));
            expect(Object.keys(byName)).to.include.members(["replication", "replication-file-copy", "orders", "events"]);
            expect(byName.orders.type).to.equal("OrderFulfillment");
            expect(byName.orders.outputs.map((output: any) => output.key)).to.include.members(["orderApiUrl", "ordersTable", "orderQueueUrl", "orderDlqUrl", "orderStateMachineArn"]);
            expect(byName["replication-file-copy"].outputs.map((output: any) => output.key)).to.include("fileCopyStateMachineArn");
            expect(byName.orders.outputs.find((output: any) => output.key === "ordersTable")).to.deep.include({ value: sandbox.outputs.ordersTable, resourceType: "aws:dynamodb/table:Table" });
        });

        it("queues: each queue's visible, in-flight and delayed counts and its DLQ's depth", async () => {
            const { status, body } = await getJson(`${consoleUrl()}api/queues`);
            expect(status).to.equal(200);
            const orderQueue = body.queues.find((queue: any) => queue.url === sandbox.outputs.orderQueueUrl);
            expect(orderQueue).to.include({ maxReceiveCount: 3 });
            expect(orderQueue).to.have.keys(["name", "url", "arn", "visible", "inFlight", "delayed", "maxReceiveCount", "deadLetter"]);
            expect(orderQueue.deadLetter.name).to.equal(String(sandbox.outputs.orderDlqUrl).split("/").pop());
        });

        it("tables, executions, functions, alarms and logs: 200 with what the sandbox deployed", async () => {
            const tables = await getJson(`${consoleUrl()}api/tables`);
            expect(tables.status).to.equal(200);
            expect(tables.body.tables.map((table: any) => table.name)).to.include(sandbox.outputs.ordersTable);
            const executions = await getJson(`${consoleUrl()}api/executions`);
            expect(executions.body.stateMachines.map((machine: any) => machine.arn)).to.have.members([sandbox.outputs.orderStateMachineArn, sandbox.outputs.fileCopyStateMachineArn]);
            const functions = await getJson(`${consoleUrl()}api/functions`);
            expect(functions.body.functions).to.deep.include({ name: "sp-local-fulfill-order", logGroup: "/aws/lambda/sp-local-fulfill-order" });
            const alarms = await getJson(`${consoleUrl()}api/alarms`);
            expect(alarms.status).to.equal(200);
            const dlqAlarm = alarms.body.alarms.find((alarm: any) => alarm.name === "sp-local-order-dlq-depth");
            expect(dlqAlarm.metric).to.equal("AWS/SQS ApproximateNumberOfMessagesVisible GreaterThanThreshold 5");
            expect(dlqAlarm.state).to.be.oneOf(["INSUFFICIENT_DATA", "OK", "ALARM"]);
            const logs = await getJson(`${consoleUrl()}api/logs?group=/aws/lambda/sp-local-fulfill-order`);
            expect(logs.status).to.equal(200);
            expect(logs.body).to.include({ available: true }).and.to.have.property("events").that.is.an("array");
        });

        it("an unknown execution is 404, a missing parameter 400, an unknown API 404, a write 405", async () => {
            const missing = await getJson(`${consoleUrl()}api/execution?arn=${encodeURIComponent(`${sandbox.outputs.orderStateMachineArn.replace(":stateMachine:", ":execution:")}:nope`)}`);
            expect(missing.status).to.equal(404);
            expect(missing.body.error).to.match(/^ExecutionDoesNotExist: /);
            expect((await getJson(`${consoleUrl()}api/execution`)).status).to.equal(400);
            expect((await getJson(`${consoleUrl()}api/nothing`)).status).to.equal(404);
            expect((await fetch(`${consoleUrl()}api/queues`, { method: "POST" })).status).to.equal(405);
        });
    });

    it("follows a posted order's execution in the page until the graph shows FULFILLED or FAILED, and saves a screenshot", async () => {
        await page.goto(consoleUrl());
        const response = await fetch(`${sandbox.outputs.orderApiUrl}/order`, {
            method: "POST", headers: { "content-type": "application/json" },
            body: JSON.stringify({ customerId: "CUST-4242", productId: "PROD-0042", quantity: 2, price: 12.5 }),
        });
        expect(response.status).to.equal(202);
        const { executionArn } = await response.json() as { executionArn: string };
        await page.locator(`tr[data-execution-arn="${executionArn}"]`).click();
        // The run ends at OrderQueued; the order's row then goes on to its outcome.
        const status = page.locator('#execution-graph[data-status="SUCCEEDED"] .record-status');
        await status.filter({ hasText: /status (FULFILLED|FAILED)/ }).waitFor({ timeout: ORDER_OUTCOME_MS });
        expect(await page.locator("#execution-graph [data-state]").evaluateAll(nodes => Object.fromEntries(nodes.map(node => [node.getAttribute("data-state"), node.getAttribute("data-status")]))))
            .to.deep.equal({ ValidateOrder: "succeeded", IsOrderValid: "succeeded", StoreOrder: "succeeded", EnqueueOrder: "succeeded", OrderQueued: "succeeded", RejectOrder: "not-entered", OrderRejected: "not-entered" });
        expect(await page.locator("#executions tr.selected").textContent()).to.contain("SUCCEEDED");
        expect(await page.locator('#alarms [data-alarm="sp-local-order-dlq-depth"]').count()).to.equal(1);
        const file = await screenshot(page, "console-order.png");
        expect(fs.statSync(file).size).to.be.greaterThan(10_000);
    });

    it("draws a failed execution with the state that failed and why", async () => {
        const sfn = new SFNClient({ endpoint: sandbox.endpoint, region: REGION, credentials });
        // No orderId: ValidateOrder's Parameters path `$.orderId` finds nothing, a States.Runtime failure in that state.
        const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: sandbox.outputs.orderStateMachineArn, input: JSON.stringify({ customerId: "CUST-0001" }) }));
        sfn.destroy();
        await page.goto(`${consoleUrl()}#${new URLSearchParams({ execution: executionArn! })}`);
        const failed = page.locator('#execution-graph [data-state="ValidateOrder"][data-status="failed"]');
        await failed.waitFor();
        expect(await page.locator("#execution .failure").textContent()).to.match(/^ValidateOrder failed: States\.Runtime.*orderId/s);
        expect(await page.locator('#execution-graph [data-state="StoreOrder"]').getAttribute("data-status")).to.equal("not-entered");
        await screenshot(page, "console-failed-execution.png");
    });

    it("peeks at a queue in the page without receiving: a real client then receives the message for the first time", async () => {
        const sqs = new SQSClient({ endpoint: sandbox.endpoint, region: REGION, credentials });
        const queueUrl = String(sandbox.outputs.buildDlqUrl);
        const queueName = queueUrl.split("/").pop()!;
        const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ commit: "peeked" }) }));
        await page.goto(consoleUrl());
        await page.locator(`#queues tr[data-queue="${queueName}"] button`).click();
        const row = page.locator("#messages tr").filter({ hasText: MessageId! });
        await row.waitFor();
        expect(await row.textContent()).to.contain("visible").and.contain('{"commit":"peeked"}');
        // Two more of the page's polls peek at it again before a real client receives it.
        for (let poll = 0; poll < 2; poll++) {
            await page.waitForResponse(answer => answer.url().includes("/_console/api/messages?") && answer.status() === 200);
        }
        const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MessageSystemAttributeNames: ["ApproximateReceiveCount"], MaxNumberOfMessages: 10 }));
        sqs.destroy();
        expect(Messages.map(message => [message.MessageId, message.Attributes?.ApproximateReceiveCount])).to.deep.include([MessageId, "1"]);
    });
});
