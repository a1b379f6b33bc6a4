import { expect } from "chai";
import { fileCopyInvokerSettings } from "../../functions/file-copy/contract";
import { fulfilOrderSettings, orderApiSettings } from "../../functions/orders/contract";
import { regionalSyncSettings } from "../../functions/replication/contract";
import { environment, loadSettings } from "../../functions/shared/settings";

describe("function settings (contract + loader)", () => {
    it("fails naming every missing setting", () => {
        expect(() => loadSettings(orderApiSettings(), {})).to.throw("ORDERS_TABLE is not set; STATE_MACHINE_ARN is not set");
    });

    it("parses and checks settings that travel as JSON", () => {
        const settings = fileCopyInvokerSettings();
        const loaded = loadSettings(settings, { STATE_MACHINE_ARN: "arn", ALLOWED_SOURCE_BUCKETS: "[\"in\"]", ALLOWED_DESTINATION_BUCKETS: "[\"a\",\"b\"]" });
        expect(loaded).to.deep.equal({ stateMachineArn: "arn", allowedSourceBuckets: ["in"], allowedDestinationBuckets: ["a", "b"] });
        expect(() => loadSettings(settings, { STATE_MACHINE_ARN: "arn", ALLOWED_SOURCE_BUCKETS: "{\"in\":1}", ALLOWED_DESTINATION_BUCKETS: "[1]" }))
            .to.throw("ALLOWED_SOURCE_BUCKETS must be a JSON array of strings; ALLOWED_DESTINATION_BUCKETS must be a JSON array of strings");
    });

    it("refuses a host count that is not a whole number", () => {
        const env = { HOST_DEPLOYMENT_TABLE: "t", REGION_BY_BUCKET: "{\"b\":\"r\"}", HOSTS_PER_REGION: "ten", SYNC_CONCURRENCY: "8" };
        expect(() => loadSettings(regionalSyncSettings(), env)).to.throw("HOSTS_PER_REGION must be a whole number");
    });

    it("builds the environment a component gives a function, leaving out optional settings it has no value for", () => {
        const values = { ordersTable: "orders", orderQueueUrl: "q", maxReceiveCount: "3", retryBaseDelaySeconds: "2", retryMaxDelaySeconds: "60", successRate: "0.7", fulfillmentSeed: undefined };
        expect(environment(fulfilOrderSettings(), values)).to.deep.equal({
            ORDERS_TABLE: "orders", ORDER_QUEUE_URL: "q", MAX_RECEIVE_COUNT: "3", RETRY_BASE_DELAY_SECONDS: "2", RETRY_MAX_DELAY_SECONDS: "60", SUCCESS_RATE: "0.7",
        });
    });
});
