import { expect } from "chai";
import { functionResource, serve, TestSandbox } from "./sandbox-support";

/** Init (module load) busy for 1.5 s, handler quick: AWS counts init apart from the timeout. */
const SLOW_INIT = `const until = Date.now() + 1500; while (Date.now() < until) {} exports.handler = async () => "ready";`;
/** Handler busy for 1.5 s of real time: more than a 10 s timeout at a 0.1 time scale. */
const SLOW_HANDLER = `exports.handler = () => new Promise(resolve => setTimeout(() => resolve("late"), 1500));`;

describe("Lambda timeouts on the sandbox's clock", function () {
    this.timeout(60000);
    let sandbox: TestSandbox;

    before(async () => {
        sandbox = await serve(() => [functionResource("slow-init", SLOW_INIT, { timeout: 10 }), functionResource("slow-handler", SLOW_HANDLER, { timeout: 10 })], 0.1);
    });

    after(async () => {
        await sandbox?.close();
    });

    const invoke = async (name: string) => (await fetch(`${sandbox.endpoint}/2015-03-31/functions/${name}/invocations`, { method: "POST", body: "{}" })).json();

    it("counts only the handler against the scaled timeout: a 1.5 s init under a 10 s timeout at scale 0.1 (1 s) succeeds", async () => {
        expect(await invoke("slow-init")).to.equal("ready");
    });

    it("times out a handler that runs longer than the scaled timeout, naming the configured seconds as Lambda does", async () => {
        expect(await invoke("slow-handler")).to.deep.equal({ errorType: "Sandbox.Timedout", errorMessage: "Task timed out after 10.00 seconds" });
    });
});
