import * as pulumi from "@pulumi/pulumi";
import { MockCloud } from "../../sandbox/mock-cloud";

/** In-process mocks for component tests; whole-program tests synthesize each stack in a child process. */
export const cloud = new MockCloud({ region: "us-east-1", accountId: "123456789012" });

export const mochaHooks = {
    async beforeAll(): Promise<void> {
        await pulumi.runtime.setMocks(cloud, "serverless-pipelines", "test", false);
    },
};
