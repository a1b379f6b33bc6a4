import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { DescribeExecutionCommand } from "@aws-sdk/client-sfn";
import { expect } from "chai";
import { createHash } from "crypto";
import * as fc from "fast-check";
import { artifactKeyOf, buildIdOf } from "../../functions/replication/build-worker";
import { poisonBody, singleLineText } from "../functions/hostile-arbitraries";
import { buildRequests, eventRequests, fileCopyRequests, HostileRequest, orderRequests } from "../functions/hostile-requests";
import { eventually } from "./sandbox-support";
import {
    Clients, clientsFor, drained, executionArns, HostileSandbox, objectKeys, queueDepth, RouteFigures, scanAll, send, sendRaw, startHostileSandbox,
} from "./hostile-support";

/** Requests per POST route: enough for every class to appear many times, few enough for a 2-core machine. */
const RUNS = 200;
const JSON_TYPE = "application/json";

describe("hostile input end to end: the local stack in the sandbox", function () {
    this.timeout(600_000);
    const figures = new RouteFigures();
    let sandbox: HostileSandbox;
    let clients: Clients;
    let outputs: Record<string, any>;

    before(async () => {
        // SQS visibility × 0.05: three failed receives of a poison message take seconds, not minutes.
        sandbox = await startHostileSandbox(0.05);
        outputs = sandbox.outputs;
        clients = clientsFor(sandbox.endpoint);
    });
    after(async () => {
        console.log(`\n      figures (requests per route, answers, 5xx, refusals that stored something):\n${figures.table().replace(/^/gm, "      ")}\n`);
        clients?.destroy();
        await sandbox?.close();
    });

    /** Sends one generated request and checks the answer: the expected status with a JSON body naming the problem. */
    async function answer(route: string, url: string, request: HostileRequest) {
        const response = await send(url, "POST", request.contentType, request.body);
        figures.count(route, response.status);
        expect(response.status, `${request.kind}: ${request.body.slice(0, 200)} → ${response.text.slice(0, 300)}`).to.equal(request.expected);
        expect(response.body, response.text).to.be.an("object");
        if (response.status !== 202) {
            expect(response.body.message, response.text).to.be.a("string").with.length.above(0);
        }
        return response;
    }

    it(`POST /order: ${RUNS} generated requests; 202 only when the order is stored exactly as sent, otherwise a JSON 4xx and nothing stored`, async () => {
        const table = outputs.ordersTable;
        const before = (await scanAll(clients, table)).length;
        let accepted = 0;
        await fc.assert(fc.asyncProperty(orderRequests(), async request => {
            const response = await answer("POST /order", `${outputs.orderApiUrl}/order`, request);
            if (response.status === 202) {
                accepted++;
                const { Item } = await clients.documents.send(new GetCommand({ TableName: table, Key: { order_id: response.body.orderId }, ConsistentRead: true }));
                const { customerId, productId, quantity, price, metadata } = Item ?? {};
                expect({ customerId, productId, quantity, price, ...(metadata === undefined ? {} : { metadata }) }).to.deep.equal(request.value);
            }
        }), { numRuns: RUNS, seed: 12 });
        const stored = (await scanAll(clients, table)).length - before;
        figures.storedOnRefusal("POST /order", stored - accepted);
        expect(stored, "orders stored").to.equal(accepted);
    });

    it(`POST /events: ${RUNS} generated requests; each 202's event is stored as sent, and nothing else reaches the table`, async () => {
        const table = outputs.eventsTable;
        const apiEvents = async () => (await scanAll(clients, table)).filter(item => item.source === "api");
        const before = (await apiEvents()).length;
        const published = new Map<string, Record<string, unknown>>();
        await fc.assert(fc.asyncProperty(eventRequests(), async request => {
            const response = await answer("POST /events", `${outputs.eventApiUrl}/events`, request);
            if (response.status === 202) {
                published.set(response.body.eventId, request.value!);
            }
        }), { numRuns: RUNS, seed: 13 });
        await eventually("every published event to be stored", async () => (await apiEvents()).length - before >= published.size || undefined, 120_000);
        await drained(clients, [outputs.eventQueueUrl, outputs.confirmationQueueUrl]);
        const stored = await apiEvents();
        const fresh = stored.length - before;
        figures.storedOnRefusal("POST /events", fresh - published.size);
        expect(fresh, "events stored").to.equal(published.size);
        for (const [eventId, value] of published) {
            const item = stored.find(candidate => candidate.eventId === eventId);
            expect(item, eventId).to.deep.include({ type: value.type, subject: value.subject ?? value.type, payload: value.payload ?? {} });
        }
        expect(await queueDepth(clients, outputs.eventDlqUrl), "events DLQ").to.equal(0);
    });

    it(`POST /builds (API Gateway → SQS, no handler): ${RUNS} generated requests; each 202 becomes exactly its artifact`, async () => {
        const bucket = outputs.globalBuildsBucket;
        const before = (await objectKeys(clients, bucket, "build-")).length;
        const expectedKeys: string[] = [];
        await fc.assert(fc.asyncProperty(buildRequests(), async request => {
            const response = await answer("POST /builds", `${outputs.buildsApiUrl}/builds`, request);
            if (response.status === 202) {
                expect(response.body).to.have.keys("status", "messageId");
                expectedKeys.push(artifactKeyOf(buildIdOf(String(request.value!.commit), response.body.messageId)));
            }
        }), { numRuns: RUNS, seed: 14 });
        await drained(clients, [outputs.buildQueueUrl]);
        const keys = await objectKeys(clients, bucket, "build-");
        figures.storedOnRefusal("POST /builds", keys.length - before - expectedKeys.length);
        expect(keys).to.include.members(expectedKeys);
        expect(keys.length - before, "artifacts built").to.equal(expectedKeys.length);
        expect(await queueDepth(clients, outputs.buildDlqUrl), "build-requests DLQ").to.equal(0);
    });

    it(`POST /step-function: ${RUNS} generated requests; each 202 started one execution with the request as input, nothing else started`, async () => {
        const machine = outputs.fileCopyStateMachineArn;
        const before = (await executionArns(clients, machine)).length;
        let accepted = 0;
        const destinations = Object.values<string>(outputs.regionalBuckets);
        await fc.assert(fc.asyncProperty(fileCopyRequests(outputs.globalBuildsBucket, destinations), async request => {
            const response = await answer("POST /step-function", `${outputs.stepFunctionApiUrl}/step-function`, request);
            if (response.status === 202) {
                accepted++;
                const execution = await clients.sfn.send(new DescribeExecutionCommand({ executionArn: response.body.executionArn }));
                expect(JSON.parse(execution.input!)).to.deep.equal(request.value);
            }
        }), { numRuns: RUNS, seed: 15 });
        const started = (await executionArns(clients, machine)).length - before;
        figures.storedOnRefusal("POST /step-function", started - accepted);
        expect(started, "executions started").to.equal(accepted);
    });

    it("GET /order/{orderId} and GET /events/{eventId}: any well-formed id answers 200, 400 or 404 with JSON, never 5xx", async () => {
        const knownOrder = (await scanAll(clients, outputs.ordersTable))[0]?.order_id;
        const knownEvent = (await scanAll(clients, outputs.eventsTable))[0]?.eventId;
        for (const [route, base, known] of [
            ["GET /order/{orderId}", `${outputs.orderApiUrl}/order`, knownOrder], ["GET /events/{eventId}", `${outputs.eventApiUrl}/events`, knownEvent],
        ]) {
            // "." and ".." are path segments a URL resolves away, so no client can send them as an id.
            const ids = fc.oneof(singleLineText(1, 300).filter(id => !/^\.{1,2}$/.test(id)), fc.uuid(), fc.constant(known ?? "none"));
            await fc.assert(fc.asyncProperty(ids, async id => {
                const response = await send(`${base}/${encodeURIComponent(id)}`, "GET", undefined);
                figures.count(route, response.status);
                expect([200, 400, 404], `${id} → ${response.text}`).to.include(response.status);
                expect(response.body).to.be.an("object");
            }), { numRuns: 100, seed: 16 });
        }
    });

    it("the seeds' own examples: seed 003's order with metadata is stored; seed 000's curl -d (form-urlencoded) gets 415 saying what to send", async () => {
        const order = { customerId: "CUST-1001", productId: "PROD-2001", quantity: 2, price: 29.99, metadata: { source: "manual-test" } };
        const accepted = await send(`${outputs.orderApiUrl}/order`, "POST", JSON_TYPE, JSON.stringify(order));
        expect(accepted.status, accepted.text).to.equal(202);
        const stored = await eventually("the order to be FULFILLED or FAILED", async () => {
            const found = await send(`${outputs.orderApiUrl}/order/${accepted.body.orderId}`, "GET", undefined);
            return ["FULFILLED", "FAILED"].includes(found.body?.status) ? found.body : undefined;
        }, 120_000);
        expect(stored).to.deep.include({ ...order, totalAmount: 59.98 });
        const curl = await send(`${outputs.buildsApiUrl}/builds`, "POST", "application/x-www-form-urlencoded", "{\"commit\": \"abc123\"}");
        expect(curl.status).to.equal(415);
        expect(curl.body.message).to.contain("Content-Type: application/json");
        const fixed = await send(`${outputs.buildsApiUrl}/builds`, "POST", JSON_TYPE, "{\"commit\": \"abc123\"}");
        expect(fixed.status, fixed.text).to.equal(202);
    });

    it("Content-Type at the gateway: /builds takes only the listed spellings (whole-value match, as LocalStack), the handlers any casing", async () => {
        const commit = JSON.stringify({ commit: "casing" });
        expect((await send(`${outputs.buildsApiUrl}/builds`, "POST", "Application/JSON", commit)).status).to.equal(415);
        expect((await send(`${outputs.buildsApiUrl}/builds`, "POST", "application/json;charset=UTF-8", commit)).status).to.equal(202);
        const event = await send(`${outputs.eventApiUrl}/events`, "POST", "Application/JSON ; Charset=\"UTF-8\"", JSON.stringify({ type: "casing" }));
        expect(event.status, event.text).to.equal(202);
    });

    it("one Content-Type rule: no header counts as JSON on every POST route, as API Gateway documents", async () => {
        for (const [url, body] of [
            [`${outputs.buildsApiUrl}/builds`, { commit: "no-header" }], [`${outputs.eventApiUrl}/events`, { type: "no.header" }],
            [`${outputs.orderApiUrl}/order`, { customerId: "CUST-0001", productId: "PROD-0001", quantity: 1, price: 1 }],
        ] as const) {
            const response = await send(url, "POST", undefined, JSON.stringify(body));
            expect(response.status, `${url} ${response.text}`).to.equal(202);
        }
    });

    describe("queue consumers: every poison message ends somewhere visible, nothing loops", () => {
        const poison = () => fc.sample(poisonBody.filter(body => body !== "" && body.length < 2048 && !/[\uD800-\uDFFF]/.test(body) && /^[\t\n\r\u0020-\uFFFD]*$/u.test(body)), { numRuns: 12, seed: 17 })
            .concat("{}", "{\"orderId\":\"00000000-0000-4000-8000-000000000000\"}", "{\"eventId\":\"\\ud800\"}");

        it("every queue at once: order queue → DLQ → unprocessable failed_orders rows; events and build-requests queues → their DLQs; all drain, nothing parks", async () => {
            const bodies = poison();
            const [orderIds, eventDlqBefore, buildDlqBefore] = await Promise.all([
                Promise.all(bodies.map(body => sendRaw(clients, outputs.orderQueueUrl, body))),
                queueDepth(clients, outputs.eventDlqUrl), queueDepth(clients, outputs.buildDlqUrl),
            ]);
            await Promise.all(bodies.flatMap(body => [sendRaw(clients, outputs.eventQueueUrl, body), sendRaw(clients, outputs.buildQueueUrl, body)]));
            const rows = await eventually("an unprocessable failed_orders row per poison order message", async () => {
                const items = await scanAll(clients, outputs.failedOrdersTable);
                return orderIds.every(id => items.some(item => item.order_id === `unprocessable:${id}`)) ? items : undefined;
            }, 120_000);
            expect(rows.filter(row => orderIds.includes(String(row.dlqMessageId))).every(row => row.reason === "unprocessable")).to.equal(true);
            for (const [queue, dlq, before] of [["eventQueueUrl", "eventDlqUrl", eventDlqBefore], ["buildQueueUrl", "buildDlqUrl", buildDlqBefore]] as const) {
                await eventually(`${bodies.length} messages in ${outputs[dlq]}`, async () => await queueDepth(clients, outputs[dlq]) - before >= bodies.length || undefined, 120_000);
                await drained(clients, [outputs[queue]]);
                expect(await queueDepth(clients, outputs[dlq]) - before, dlq).to.equal(bodies.length);
            }
            await drained(clients, [outputs.orderQueueUrl, outputs.orderDlqUrl]);
            expect(await queueDepth(clients, outputs.orderDlqUrl.replace(/-dlq$/, "-dlq-parking")), "parked order DLQ messages").to.equal(0);
        });

        it("order DLQ: a stale copy of a FULFILLED order, delivered twice, changes nothing and records nothing", async () => {
            const order = { customerId: "CUST-2002", productId: "PROD-3003", quantity: 1, price: 5 };
            // Fulfilment succeeds 70% per attempt; an order FAILED after all three attempts is simply followed by another.
            let fulfilled: Record<string, any> | undefined;
            for (let attempt = 0; attempt < 5 && !fulfilled; attempt++) {
                const accepted = await send(`${outputs.orderApiUrl}/order`, "POST", JSON_TYPE, JSON.stringify(order));
                const terminal = await eventually("the order to end", async () => {
                    const { Item } = await clients.documents.send(new GetCommand({ TableName: outputs.ordersTable, Key: { order_id: accepted.body.orderId }, ConsistentRead: true }));
                    return ["FULFILLED", "FAILED"].includes(Item?.status) ? Item : undefined;
                }, 120_000);
                fulfilled = terminal.status === "FULFILLED" ? terminal : undefined;
            }
            const message = JSON.stringify({ orderId: fulfilled!.order_id, ...order, totalAmount: 5 });
            await sendRaw(clients, outputs.orderDlqUrl, message);
            await sendRaw(clients, outputs.orderDlqUrl, message);
            await drained(clients, [outputs.orderDlqUrl]);
            const after = await clients.documents.send(new GetCommand({ TableName: outputs.ordersTable, Key: { order_id: fulfilled!.order_id }, ConsistentRead: true }));
            expect(after.Item).to.deep.equal(fulfilled);
            const row = await clients.documents.send(new GetCommand({ TableName: outputs.failedOrdersTable, Key: { order_id: fulfilled!.order_id }, ConsistentRead: true }));
            expect(row.Item).to.equal(undefined);
        });

        it("events processing queue: the same event delivered twice is stored once", async () => {
            const eventId = `dup-${createHash("sha256").update(String(Date.now())).digest("hex").slice(0, 12)}`;
            const body = JSON.stringify({ kind: "api-event", eventId, type: "duplicate.test", subject: "s", payload: {}, publishedAt: new Date().toISOString() });
            await Promise.all([sendRaw(clients, outputs.eventQueueUrl, body), sendRaw(clients, outputs.eventQueueUrl, body)]);
            await drained(clients, [outputs.eventQueueUrl, outputs.confirmationQueueUrl]);
            const stored = (await scanAll(clients, outputs.eventsTable)).filter(item => item.eventId === eventId);
            expect(stored).to.have.length(1);
            expect(stored[0].status).to.equal("CONFIRMED");
        });
    });
});
