import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import * as fc from "fast-check";
import { OrderFulfillment } from "../../components/order-fulfillment";
import { fulfilmentSucceeds, mulberry32 } from "../../functions/orders/order-rules";
import { RecordedResource } from "../../sandbox/mock-cloud";
import { loadArchiveHandler } from "../support/archive";
import { archiveOf, one, promiseOf, resourcesUnder } from "../support/pulumi";

type Handler = (event: unknown, context?: unknown) => Promise<{ statusCode: number; body: string }>;
type Validator = (event: unknown) => Promise<{ valid: boolean; reasons: string[]; totalAmount: number | null }>;

const digits4 = fc.integer({ min: 0, max: 9999 }).map(n => String(n).padStart(4, "0"));
const validOrder = fc.record({
    customerId: digits4.map(d => `CUST-${d}`),
    productId: digits4.map(d => `PROD-${d}`),
    quantity: fc.integer({ min: 1, max: 10_000 }),
    cents: fc.integer({ min: 1, max: 100_000_000 }),
}).map(({ cents, ...order }) => ({ order: { ...order, price: cents / 100 }, totalCents: cents * order.quantity }));

/** One field broken in one way; every variant is invalid either in shape or bounds (API) or by a business rule (ValidateOrder). */
const brokenField: fc.Arbitrary<[string, unknown]> = fc.oneof(
    fc.tuple(fc.constant("customerId"), fc.oneof(fc.string({ maxLength: 70 }).filter(s => !/^CUST-\d{4}$/.test(s)), fc.integer(), fc.constant(null))),
    fc.tuple(fc.constant("productId"), fc.oneof(fc.string({ maxLength: 70 }).filter(s => !/^PROD-\d{4}$/.test(s)), fc.boolean(), fc.constant([]))),
    fc.tuple(fc.constant("quantity"), fc.oneof(fc.integer({ min: -100_000, max: 0 }), fc.double({ min: 0.01, max: 100, noNaN: true }).filter(n => !Number.isInteger(n)), fc.string(), fc.constant(null))),
    fc.tuple(fc.constant("price"), fc.oneof(fc.integer({ min: -100_000_000, max: 0 }).map(cents => cents / 100), fc.constant(1.001), fc.constant(0.005), fc.string(), fc.constant({}))),
    fc.tuple(fc.constant("extraField"), fc.jsonValue()),
    fc.tuple(fc.constant("missing"), fc.constantFrom("customerId", "productId", "quantity", "price")),
);
const invalidOrder = fc.tuple(validOrder, brokenField).map(([{ order }, [field, value]]) => {
    const broken: Record<string, unknown> = { ...order };
    if (field === "missing") {
        delete broken[value as string];
    } else {
        broken[field] = value;
    }
    return broken;
});

type Request = { kind: "valid"; body: string; totalCents: number } | { kind: "invalid"; body: string } | { kind: "arbitrary"; body: string };
const requests: fc.Arbitrary<Request> = fc.oneof(
    validOrder.map(({ order, totalCents }) => ({ kind: "valid" as const, body: JSON.stringify(order), totalCents })),
    invalidOrder.map(order => ({ kind: "invalid" as const, body: JSON.stringify(order) })),
    fc.oneof(fc.string(), fc.json()).map(body => ({ kind: "arbitrary" as const, body })),
);

describe("order API and validator properties (fast-check)", () => {
    const documents = mockClient(DynamoDBDocumentClient);
    const stepFunctions = mockClient(SFNClient);
    let api: Handler;
    let validator: Validator;

    before(async () => {
        const orders = new OrderFulfillment("of-properties", { platform: { namePrefix: "dofs-prop", local: true } });
        await promiseOf(orders.stateMachineArn);
        const resources: RecordedResource[] = await resourcesUnder("of-properties");
        const archive = (name: string) => archiveOf(one(resources, "aws:lambda/function:Function", r => r.inputs.name === `dofs-prop-${name}`));
        const env = { ORDERS_TABLE: "dofs-prop-orders", STATE_MACHINE_ARN: "arn:aws:states:us-east-1:123456789012:stateMachine:dofs-prop-order-workflow" };
        api = loadArchiveHandler<Handler>(archive("order-api-handler"), env);
        validator = loadArchiveHandler<Validator>(archive("validate-order"), env);
    });
    beforeEach(() => {
        documents.reset();
        stepFunctions.reset();
        stepFunctions.on(StartExecutionCommand).resolves({ executionArn: "arn:exec" });
    });
    after(() => {
        documents.restore();
        stepFunctions.restore();
    });

    it("1,000 generated requests: never an unhandled error; valid ones accepted with the right total, every invalid one rejected with a reason", async () => {
        const seen = { valid: 0, invalid: 0, arbitrary: 0, apiRejected: 0, workflowRejected: 0 };
        await fc.assert(fc.asyncProperty(requests, async request => {
            seen[request.kind]++;
            const response = await api({ body: request.body, headers: { "content-type": "application/json" }, isBase64Encoded: false });
            expect([202, 400, 413]).to.include(response.statusCode);
            const body = JSON.parse(response.body);
            if (response.statusCode !== 202) {
                expect(request.kind).to.not.equal("valid");
                expect(body.message).to.be.a("string").and.not.equal("");
                seen.apiRejected++;
                return;
            }
            const input = JSON.parse(stepFunctions.commandCalls(StartExecutionCommand).at(-1)!.args[0].input.input!);
            expect(input.orderId).to.equal(body.orderId);
            const result = await validator(input);
            if (request.kind === "valid") {
                expect(result).to.deep.equal({ valid: true, reasons: [], totalAmount: request.totalCents / 100 });
            } else if (request.kind === "invalid") {
                expect(result.valid).to.equal(false);
                expect(result.reasons.length).to.be.greaterThan(0);
                seen.workflowRejected++;
            } else if (!result.valid) {
                expect(result.reasons.length).to.be.greaterThan(0);
            }
        }), { numRuns: 1000, seed: 20260101 });
        expect(seen.valid + seen.invalid + seen.arbitrary).to.equal(1000);
        expect(seen.apiRejected).to.be.greaterThan(100);
        expect(seen.workflowRejected).to.be.greaterThan(50);
    });

    it("the validator never throws on any input and names a reason whenever it rejects", async () => {
        await fc.assert(fc.asyncProperty(fc.anything(), async value => {
            const result = await validator(value);
            expect(result.valid || result.reasons.length > 0).to.equal(true);
        }), { numRuns: 500, seed: 7 });
    });
});

describe("fulfilment success rate (statistical)", () => {
    it("10,000 simulated fulfilments at rate 0.7 succeed 70% ± 2% for several seeds", () => {
        for (const seed of [1, 42, 2026]) {
            const random = mulberry32(seed);
            let succeeded = 0;
            for (let i = 0; i < 10_000; i++) {
                succeeded += fulfilmentSucceeds(random, 0.7) ? 1 : 0;
            }
            expect(succeeded / 10_000, `seed ${seed}`).to.be.within(0.68, 0.72);
        }
    });

    it("rate 0 never succeeds and rate 1 always does", () => {
        const random = mulberry32(3);
        const outcomes = Array.from({ length: 1000 }, () => [fulfilmentSucceeds(random, 0), fulfilmentSucceeds(random, 1)]);
        expect(outcomes.every(([never, always]) => !never && always)).to.equal(true);
    });
});
