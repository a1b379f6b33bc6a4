import { StateMachine as LocalStateMachine } from "aws-local-stepfunctions";
import { expect } from "chai";
import { OrderFulfillment } from "../../components/order-fulfillment";
import { validateOrderRules } from "../../functions/orders/order-rules";
import { JSONPATH_RULES, useJsonPathRule } from "../support/jsonpath-rules";
import { one, promiseOf, resourcesUnder } from "../support/pulumi";

// asl-validator ships no type declarations.
const aslModule = require("asl-validator");
const aslValidator: (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string } = aslModule.default ?? aslModule;

import "../../sandbox/promise-with-resolvers";

const ORDER_ID = "0f8fad5b-d9cb-469f-a165-70867728950e";
const VALID = { orderId: ORDER_ID, customerId: "CUST-0001", productId: "PROD-0001", quantity: 2, price: 29.99 };

interface Payload { FunctionName: string; Payload: Record<string, unknown> }

/** The order table's statuses and the queue, behind the definition's Task states; ValidateOrder runs the real rules. */
class FakeServices {
    readonly statuses = new Map<string, string>([[ORDER_ID, "PENDING"]]);
    readonly reasons = new Map<string, string[]>();
    readonly queued: Record<string, unknown>[] = [];
    readonly calls: string[] = [];
    storeFailuresLeft = 0;
    storeFailure = "Lambda.ServiceException";

    handlers() {
        return {
            ValidateOrder: async ({ Payload }: Payload) => {
                this.calls.push("ValidateOrder");
                return { Payload: validateOrderRules(Payload) };
            },
            StoreOrder: async ({ Payload }: Payload) => {
                this.calls.push("StoreOrder");
                if (this.storeFailuresLeft > 0) {
                    this.storeFailuresLeft--;
                    throw Object.assign(new Error("transient"), { name: this.storeFailure });
                }
                const orderId = Payload.orderId as string;
                const alreadyRecorded = this.statuses.get(orderId) !== "PENDING";
                if (!alreadyRecorded) {
                    this.statuses.set(orderId, "PROCESSING");
                }
                return { Payload: { orderId, status: this.statuses.get(orderId), alreadyRecorded } };
            },
            RejectOrder: async ({ Payload }: Payload) => {
                this.calls.push("RejectOrder");
                this.statuses.set(Payload.orderId as string, "REJECTED");
                this.reasons.set(Payload.orderId as string, Payload.reasons as string[]);
                return { Payload: { orderId: Payload.orderId, status: "REJECTED", alreadyRecorded: false } };
            },
            EnqueueOrder: async ({ MessageBody }: { QueueUrl: string; MessageBody: Record<string, unknown> }) => {
                this.calls.push("EnqueueOrder");
                this.queued.push(MessageBody);
                return { MessageId: `msg-${this.queued.length}`, MD5OfMessageBody: "x" };
            },
        };
    }
}

describe("order state machine (asl-validator + aws-local-stepfunctions)", () => {
    let definition: any;
    let machine: LocalStateMachine;

    before(async () => {
        const orders = new OrderFulfillment("of-workflow", { platform: { namePrefix: "dofs-wf", local: true } });
        await promiseOf(orders.stateMachineArn);
        definition = JSON.parse(one(await resourcesUnder("of-workflow"), "aws:sfn/stateMachine:StateMachine").inputs.definition);
        // Built outside any rule swap: the constructor's asl-validator queries jsonpath-plus too.
        machine = new LocalStateMachine(definition);
    });

    interface WorkflowOutput { orderId: string; status: string; totalAmount?: number; messageId?: string; reasons?: string[] }

    async function run(input: Record<string, unknown>, services: FakeServices): Promise<WorkflowOutput> {
        const execution = machine.run(input as never, {
            overrides: {
                taskResourceLocalHandlers: services.handlers() as never,
                retryIntervalOverrides: { ValidateOrder: 0, StoreOrder: 0, RejectOrder: 0, EnqueueOrder: 0 },
            },
        });
        return await execution.result as unknown as WorkflowOutput;
    }

    it("passes asl-validator", () => {
        const { isValid, errorsText } = aslValidator(definition);
        expect(isValid, errorsText("\n")).to.equal(true);
    });

    for (const { name, rule } of JSONPATH_RULES) {
        describe(`under ${name}`, () => {
            let restore: () => void;
            before(() => {
                restore = useJsonPathRule(rule);
            });
            after(() => restore());

            it("valid order: validates, stores PROCESSING, enqueues the order with its total", async () => {
                const services = new FakeServices();
                const output = await run(VALID, services);
                expect(output).to.deep.equal({ orderId: ORDER_ID, status: "PROCESSING", totalAmount: 59.98, messageId: "msg-1" });
                expect(services.calls).to.deep.equal(["ValidateOrder", "StoreOrder", "EnqueueOrder"]);
                expect(services.statuses.get(ORDER_ID)).to.equal("PROCESSING");
                expect(services.queued).to.deep.equal([{ ...VALID, totalAmount: 59.98 }]);
            });

            it("invalid order: ends REJECTED with every reason stored, nothing stored as PROCESSING or queued", async () => {
                const services = new FakeServices();
                const output = await run({ ...VALID, customerId: "CUST-1", quantity: 0 }, services);
                expect(output.status).to.equal("REJECTED");
                expect(output.reasons).to.have.length(2);
                expect(services.calls).to.deep.equal(["ValidateOrder", "RejectOrder"]);
                expect(services.statuses.get(ORDER_ID)).to.equal("REJECTED");
                expect(services.reasons.get(ORDER_ID)!.map(reason => reason.split(":")[0])).to.deep.equal(["customerId", "quantity"]);
                expect(services.queued).to.have.length(0);
            });

            it("a task that fails once with a transient Lambda error is retried and the run succeeds", async () => {
                const services = new FakeServices();
                services.storeFailuresLeft = 1;
                const output = await run(VALID, services);
                expect(output.status).to.equal("PROCESSING");
                expect(services.calls).to.deep.equal(["ValidateOrder", "StoreOrder", "StoreOrder", "EnqueueOrder"]);
                expect(services.queued).to.have.length(1);
            });

            it("retries the handlers' own TransientStorageError up to 3 times, then fails the execution", async () => {
                const services = new FakeServices();
                services.storeFailuresLeft = 10;
                services.storeFailure = "TransientStorageError";
                const error = await run(VALID, services).then(() => undefined, (e: Error) => e);
                expect(error).to.be.instanceOf(Error);
                expect(services.calls.filter(call => call === "StoreOrder")).to.have.length(4);
                expect(services.queued).to.have.length(0);
            });

            it("does not retry an error that is not transient", async () => {
                const services = new FakeServices();
                services.storeFailuresLeft = 1;
                services.storeFailure = "OrderNotFound";
                const error = await run(VALID, services).then(() => undefined, (e: Error) => e);
                expect(error).to.be.instanceOf(Error);
                expect(services.calls).to.deep.equal(["ValidateOrder", "StoreOrder"]);
            });
        });
    }
});
