import { ChangeMessageVisibilityCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { SQSEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { OrderFulfillment } from "../../components/order-fulfillment";
import { RecordedResource } from "../../sandbox/mock-cloud";
import { loadArchiveHandler } from "../support/archive";
import { archiveOf, one, promiseOf, resourcesUnder } from "../support/pulumi";

const QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/dofs-test-order-queue";
const ORDER = { orderId: "0f8fad5b-d9cb-469f-a165-70867728950e" };

/** One record per receive count, ids `m-<count>`. */
function sqsEvent(receiveCounts: number[]): SQSEvent {
    return {
        Records: receiveCounts.map(count => ({
            messageId: `m-${count}`, receiptHandle: `r-${count}`, body: JSON.stringify(ORDER),
            attributes: { ApproximateReceiveCount: String(count), SentTimestamp: "0", SenderId: "s", ApproximateFirstReceiveTimestamp: "0" },
            messageAttributes: {}, md5OfBody: "", eventSource: "aws:sqs", eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:dofs-test-order-queue", awsRegion: "us-east-1",
        })),
    };
}

describe("fulfill-order retry delay (serialized archive)", () => {
    const documents = mockClient(DynamoDBDocumentClient);
    const queue = mockClient(SQSClient);
    let resources: RecordedResource[];
    /** The handler with the environment the component gives it, `overrides` on top. */
    const fulfil = (overrides: Record<string, string>): any => {
        const fn = one(resources, "aws:lambda/function:Function", r => r.inputs.name === "dofs-test-fulfill-order");
        return loadArchiveHandler(archiveOf(fn), { ...fn.inputs.environment.variables, ...overrides });
    };
    const visibilityChanges = () => queue.commandCalls(ChangeMessageVisibilityCommand).map(call => call.args[0].input);

    before(async () => {
        const orders = new OrderFulfillment("of-backoff", { platform: { namePrefix: "dofs-test", local: true }, maxReceiveCount: 5, retryBaseDelaySeconds: 3, retryMaxDelaySeconds: 10 });
        await promiseOf(orders.stateMachineArn);
        resources = await resourcesUnder("of-backoff");
    });
    beforeEach(() => {
        documents.reset();
        queue.reset();
        documents.on(UpdateCommand).resolves({});
    });
    after(() => {
        documents.restore();
        queue.restore();
    });

    it("hides each failed message for base × 2^(receive − 1) seconds up to the cap, and for 0 s after its last allowed receive", async () => {
        const result = await fulfil({ SUCCESS_RATE: "0" })(sqsEvent([1, 2, 3, 4, 5]), {});
        expect(result.batchItemFailures.map((failure: { itemIdentifier: string }) => failure.itemIdentifier)).to.deep.equal(["m-1", "m-2", "m-3", "m-4", "m-5"]);
        expect(visibilityChanges().map(input => [input.QueueUrl, input.ReceiptHandle, input.VisibilityTimeout])).to.have.deep.members([
            [QUEUE_URL, "r-1", 3], [QUEUE_URL, "r-2", 6], [QUEUE_URL, "r-3", 10], [QUEUE_URL, "r-4", 10], [QUEUE_URL, "r-5", 0],
        ]);
    });

    it("changes the visibility of failed records only", async () => {
        documents.on(UpdateCommand).rejectsOnce(Object.assign(new Error("boom"), { name: "InternalServerError" })).resolves({});
        const result = await fulfil({ SUCCESS_RATE: "1" })(sqsEvent([1, 2]), {});
        expect(result).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "m-1" }] });
        expect(visibilityChanges().map(input => input.ReceiptHandle)).to.deep.equal(["r-1"]);
        queue.reset();
        expect(await fulfil({ SUCCESS_RATE: "1" })(sqsEvent([1, 2]), {})).to.deep.equal({ batchItemFailures: [] });
        expect(visibilityChanges()).to.deep.equal([]);
    });

    it("still reports every failed record when SQS refuses the visibility change (the message keeps the queue's timeout)", async () => {
        queue.on(ChangeMessageVisibilityCommand, { ReceiptHandle: "r-1" }).rejects(Object.assign(new Error("The specified message isn't in flight."), { name: "MessageNotInflight" }));
        const errors: string[] = [];
        const original = console.error;
        console.error = (line: string) => errors.push(line);
        try {
            const result = await fulfil({ SUCCESS_RATE: "0" })(sqsEvent([1, 2]), {});
            expect(result).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "m-1" }, { itemIdentifier: "m-2" }] });
        } finally {
            console.error = original;
        }
        expect(visibilityChanges().map(input => input.ReceiptHandle)).to.have.members(["r-1", "r-2"]);
        const logged = errors.map(line => JSON.parse(line)).find(entry => entry.event === "retry-delay-not-set");
        expect(logged).to.deep.include({ messageId: "m-1", receiveCount: 1, delaySeconds: 3 });
        expect(logged.reason).to.contain("MessageNotInflight");
    });

    it("refuses to start without the order queue's URL, naming the setting", () => {
        expect(() => fulfil({ ORDER_QUEUE_URL: "" })).to.throw("ORDER_QUEUE_URL is not set");
    });
});
