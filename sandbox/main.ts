import * as fs from "fs";
import * as path from "path";
import { Clock } from "./clock";
import type { SandboxLog } from "./cloud";
import { createConsole } from "./console";
import { IAM_MODES, IamMode } from "./iam/authorizer";
import { IamReport, iamReport } from "./iam/report";
import type { RecordedResource } from "./mock-cloud";
import { deployCloud, IamOptions, PortInUseError, SandboxServer } from "./server";
import { synthesize } from "./synth";

const PROJECT_DIR = path.resolve(__dirname, "..");
/** `npm start`'s --time-scale: 0.1 s of real time per configured second. */
export const DEFAULT_TIME_SCALE = 0.1;
/** Services the local stack's provider is pointed at; all of them reach the sandbox's one endpoint. */
const SERVICES = ["apigateway", "cloudwatch", "dynamodb", "events", "iam", "kms", "lambda", "logs", "s3", "sfn", "sns", "sqs", "sts"];

export interface SandboxOptions {
    /** Default: 4566; 0 picks a free port. */
    port?: number;
    log?: SandboxLog;
    /** Real seconds per configured second for the waits the program configures (see Clock). Default: 1. */
    timeScale?: number;
    /** Logical names of synthesized resources to leave out, to see what a wiring fault breaks. Default: none. */
    withoutResources?: string[];
    /** See DeployOptions.functionOutput. Default: "inherit". */
    functionOutput?: "inherit" | "discard";
    /** Stack config values that win over Pulumi.local.yaml's, e.g. `serverless-pipelines:hostsPerRegion`. Default: none. */
    configOverrides?: Record<string, unknown>;
    /** IAM enforcement and the statements to leave out. Default: enforce, every statement as deployed. */
    iam?: IamOptions;
}

export interface RunningSandbox {
    endpoint: string;
    /** The `local` stack's `aws:region`. */
    region: string;
    outputs: Record<string, unknown>;
    /** What the program registered and the sandbox deployed, with physical names in `state`. */
    resources: RecordedResource[];
    /** Per principal, the actions used so far against the actions granted. */
    iamReport(): IamReport;
    /** Switches IAM enforcement while running, for `npm run bench`'s comparison of modes in one run. */
    setIamMode(mode: IamMode): void;
    close(): Promise<void>;
}

/** Listens, synthesizes the `local` stack against the endpoint, deploys it locally. Once per process (synthesis loads index.ts once). */
export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
    const log = options.log ?? (() => undefined);
    const server = new SandboxServer(log);
    const endpoint = await server.listen(options.port ?? 4566);
    const synthesis = await synthesize({
        projectDir: PROJECT_DIR,
        stack: "local",
        overrides: { ...options.configOverrides, "aws:endpoints": [Object.fromEntries(SERVICES.map(service => [service, endpoint]))], "serverless-pipelines:localEndpoint": endpoint },
    });
    const resources = synthesis.resources.filter(resource => !options.withoutResources?.includes(resource.name));
    const region = synthesis.config["aws:region"] ?? "us-east-1";
    const cloud = await deployCloud({
        endpoint, region, accountId: "000000000000", resources, log, projectDir: PROJECT_DIR,
        clock: new Clock(options.timeScale ?? 1), functionOutput: options.functionOutput, iam: options.iam,
    });
    server.attach(cloud.providers, createConsole({ providers: cloud.providers.as({ principal: cloud.authorizer.policies.identities.root() }), outputs: synthesis.outputs, resources, sqs: cloud.sqs }));
    return { endpoint, region, outputs: synthesis.outputs, resources, iamReport: () => iamReport(cloud.authorizer), setIamMode: mode => { cloud.authorizer.mode = mode; }, close: async () => { await cloud.close(); await server.close(); } };
}

function argument(name: string): string | undefined {
    const index = process.argv.indexOf(`--${name}`);
    return index >= 0 ? process.argv[index + 1] : undefined;
}

/** `--iam enforce|warn|off`, default enforce. */
function iamMode(): IamMode {
    const mode = argument("iam") ?? "enforce";
    if (!IAM_MODES.includes(mode as IamMode)) {
        throw new Error(`--iam must be one of ${IAM_MODES.join(", ")}, not ${mode}`);
    }
    return mode as IamMode;
}

/** Writes `--iam-report <file>` (if given) with what the sandbox has seen so far. */
function writeIamReport(sandbox: RunningSandbox): void {
    const file = argument("iam-report");
    if (file) {
        fs.writeFileSync(file, `${JSON.stringify(sandbox.iamReport(), null, 2)}\n`);
        console.log(`IAM report written to ${file}`);
    }
}

/** Stops the sandbox on SIGINT or SIGTERM, also while it is still starting, so the port is free once the process is gone. */
function stopOnSignals(): { serving(sandbox: RunningSandbox): void } {
    let running: RunningSandbox | undefined;
    const stop = (signal: NodeJS.Signals) => {
        console.log(`${signal}: stopping the sandbox`);
        if (running) {
            writeIamReport(running);
        }
        void (running?.close() ?? Promise.resolve()).finally(() => process.exit(0));
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    return { serving: sandbox => { running = sandbox; } };
}

async function main(): Promise<void> {
    const once = process.argv.includes("--once");
    const started = Date.now();
    const signals = stopOnSignals();
    const sandbox = await startSandbox({
        port: Number(argument("port") ?? 4566),
        // Queues wait 6× their consumer's timeout (minutes) and copies retry for 14 s; a 10× faster clock keeps redrive and retry paths short.
        timeScale: Number(argument("time-scale") ?? DEFAULT_TIME_SCALE),
        withoutResources: argument("without")?.split(","),
        iam: { mode: iamMode(), withoutStatements: argument("without-statement")?.split(",") },
        log: event => console.log(`${new Date().toISOString().slice(11, 23)} ${event.kind.padEnd(9)} ${event.message}`),
    });
    signals.serving(sandbox);
    const outputsJson = JSON.stringify(sandbox.outputs, null, 2);
    console.log(outputsJson);
    const outputsFile = argument("outputs");
    if (outputsFile) {
        // The shape of `pulumi stack output --json`, so `npm run smoke -- --outputs <file>` can run against this sandbox.
        fs.writeFileSync(outputsFile, `${outputsJson}\n`);
        console.log(`stack outputs written to ${outputsFile}`);
    }
    console.log(`sandbox ready at ${sandbox.endpoint} in ${Date.now() - started} ms`);
    // Loaded once the sandbox serves: the smoke test's clients are no part of getting ready.
    const [{ runSmoke }, { useLocalTarget }] = await Promise.all([import("../scripts/smoke"), import("../scripts/smoke-target")]);
    // The smoke test takes its target from the standard AWS environment, as after `pulumi up --stack local`; none of the caller's stays.
    useLocalTarget(process.env, sandbox.endpoint, sandbox.region);
    const deadline = argument("smoke-deadline-ms");
    const passed = await runSmoke(sandbox.outputs, deadline ? { deadlineMs: Number(deadline) } : {});
    console.log(`smoke test ${passed ? "passed" : "FAILED"}`);
    writeIamReport(sandbox);
    if (once) {
        await sandbox.close();
        process.exit(passed ? 0 : 1);
    }
    console.log("serving until Ctrl-C");
}

if (require.main === module) {
    main().catch(error => {
        console.error(error instanceof PortInUseError ? error.message : error);
        process.exit(1);
    });
}
