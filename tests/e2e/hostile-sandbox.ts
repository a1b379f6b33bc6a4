import { startSandbox } from "../../sandbox/main";

/**
 * The hostile-input suites' sandbox process: the local stack with SQS visibility scaled by argv[2], serving until
 * stdin closes. It leaves out the global-builds bucket's notification, so each accepted build stops at its artifact
 * and hundreds of POST /builds do not start hundreds of replication runs. Prints one line: {"endpoint", "outputs"}.
 */
startSandbox({
    port: 0,
    functionOutput: "discard",
    timeScale: Number(process.argv[2] ?? 1),
    withoutResources: ["replication-global-builds-notification"],
}).then(sandbox => {
    process.stdout.write(`${JSON.stringify({ endpoint: sandbox.endpoint, outputs: sandbox.outputs })}\n`);
    process.stdin.on("end", () => void sandbox.close().then(() => process.exit(0)));
    process.stdin.resume();
}, error => {
    console.error(error);
    process.exit(1);
});
