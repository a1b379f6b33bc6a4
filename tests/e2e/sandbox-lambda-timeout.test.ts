import { expect } from "chai";
import { MIN_HANDLER_MS } from "../../sandbox/functions";
import { functionResource, serve, TestSandbox } from "./sandbox-support";

/** Init (module load) busy for 1.5 s, handler quick: AWS counts init apart from the timeout. */
const SLOW_INIT = `const until = Date.now() + 1500; while (Date.now() < until) {} exports.handler = async () => "ready";`;
/** Handler busy for 1.5 s of real time. */
const SLOW_HANDLER = `exports.handler = () => new Promise(resolve => setTimeout(() => resolve("late"), 1500));`;

describe("Lambda timeouts on the sandbox's clock", function () {
    this.timeout(60000);
    let sandbox: TestSandbox;

    before(async () => {
        expect(MIN_HANDLER_MS).to.be.greaterThan(1500);
        // At scale 0.01 a 60 s timeout is 0.6 s of clock time, less than the real-time floor; a 1 s timeout is its own floor.
        sandbox = await serve(() => [
            functionResource("slow-init", SLOW_INIT, { timeout: 1 }),
            functionResource("short-timeout", SLOW_HANDLER, { timeout: 1 }),
            functionResource("long-timeout", SLOW_HANDLER, { timeout: 60 }),
        ], 0.01);
    });

    after(async () => {
        await sandbox?.close();
    });

    const invoke = async (name: string) => (await fetch(`${sandbox.endpoint}/2015-03-31/functions/${name}/invocations`, { method: "POST", body: "{}" })).json();

    it("counts only the handler against the timeout: a 1.5 s init under a 1 s timeout succeeds", async () => {
        expect(await invoke("slow-init")).to.equal("ready");
    });

    it("times out a handler that runs longer than its own timeout, naming the configured seconds as Lambda does", async () => {
        expect(await invoke("short-timeout")).to.deep.equal({ errorType: "Sandbox.Timedout", errorMessage: "Task timed out after 1.00 seconds" });
    });

    it("gives a handler the real-time floor when the scaled timeout is shorter: 1.5 s of work under 60 s at scale 0.01 succeeds", async () => {
        expect(await invoke("long-timeout")).to.equal("late");
    });
});
