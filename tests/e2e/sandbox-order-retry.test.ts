import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { ProgramSandbox, startProgramSandbox } from "./program-sandbox";
import { credentials, eventually, REGION } from "./sandbox-support";

/** Half of real time: the order queue's 180 s visibility timeout lasts 90 s, the retry delays 1 s and 2 s. */
const TIME_SCALE = 0.5;

describe("sandbox: a failed fulfilment attempt is retried after the retry delay, not the queue's visibility timeout", function () {
    this.timeout(240000);
    let sandbox: ProgramSandbox;

    before(async () => {
        // Every attempt fails, so the order needs all three receives and the DLQ to end.
        sandbox = await startProgramSandbox({ timeScale: TIME_SCALE, configOverrides: { "serverless-pipelines:fulfillmentSuccessRate": 0 } });
    });

    after(async () => {
        await sandbox?.close();
    });

    it("takes an order through its three failed attempts to FAILED before one visibility timeout has passed", async () => {
        const { outputs } = sandbox;
        const sqs = new SQSClient({ endpoint: sandbox.endpoint, region: REGION, credentials });
        const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: outputs.orderQueueUrl, AttributeNames: ["VisibilityTimeout", "RedrivePolicy"] }));
        expect(JSON.parse(Attributes!.RedrivePolicy!).maxReceiveCount).to.equal(3);
        const visibilityTimeoutMs = Number(Attributes!.VisibilityTimeout) * 1000 * TIME_SCALE;

        const posted = await fetch(`${outputs.orderApiUrl}/order`, {
            method: "POST", headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ customerId: "CUST-0042", productId: "PROD-0042", quantity: 1, price: 9.99 }),
        });
        expect(posted.status).to.equal(202);
        const { orderId } = await posted.json() as { orderId: string };
        // Without the retry delay the second attempt alone would come one visibility timeout after the first.
        const order = await eventually("the order to reach FAILED", async () => {
            const current = await (await fetch(`${outputs.orderApiUrl}/order/${orderId}`)).json() as Record<string, any>;
            return current.status === "FAILED" ? current : undefined;
        }, visibilityTimeoutMs);
        expect(order).to.deep.include({ fulfilmentAttempts: 3 });
        expect(order.lastError).to.match(/attempt 3 failed/);
    });
});
