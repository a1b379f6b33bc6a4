import * as path from "path";
import { runSmoke } from "../scripts/smoke";
import { Clock } from "./clock";
import type { SandboxLog } from "./cloud";
import type { RecordedResource } from "./mock-cloud";
import { deployCloud, SandboxServer } from "./server";
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
}

export interface RunningSandbox {
    endpoint: string;
    outputs: Record<string, unknown>;
    /** What the program registered and the sandbox deployed, with physical names in `state`. */
    resources: RecordedResource[];
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
    const cloud = await deployCloud({
        endpoint, region: synthesis.config["aws:region"] ?? "us-east-1", accountId: "000000000000", resources, log, projectDir: PROJECT_DIR,
        clock: new Clock(options.timeScale ?? 1), functionOutput: options.functionOutput,
    });
    server.attach(cloud.services);
    return { endpoint, outputs: synthesis.outputs, resources, close: async () => { await cloud.close(); await server.close(); } };
}

function argument(name: string): string | undefined {
    const index = process.argv.indexOf(`--${name}`);
    return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<void> {
    const once = process.argv.includes("--once");
    const started = Date.now();
    const sandbox = await startSandbox({
        port: Number(argument("port") ?? 4566),
        // Queues wait 6× their consumer's timeout (minutes) and copies retry for 14 s; a 10× faster clock keeps redrive and retry paths short.
        timeScale: Number(argument("time-scale") ?? DEFAULT_TIME_SCALE),
        withoutResources: argument("without")?.split(","),
        log: event => console.log(`${new Date().toISOString().slice(11, 23)} ${event.kind.padEnd(9)} ${event.message}`),
    });
    console.log(JSON.stringify(sandbox.outputs, null, 2));
    console.log(`sandbox ready at ${sandbox.endpoint} in ${Date.now() - started} ms`);
    // The smoke script takes its target from the standard AWS environment, as after `pulumi up --stack local`.
    Object.assign(process.env, { AWS_ENDPOINT_URL: sandbox.endpoint, AWS_REGION: process.env.AWS_REGION ?? "us-east-1", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" });
    const deadline = argument("smoke-deadline-ms");
    const passed = await runSmoke(sandbox.outputs, deadline ? { deadlineMs: Number(deadline) } : {});
    console.log(`smoke test ${passed ? "passed" : "FAILED"}`);
    if (once) {
        await sandbox.close();
        process.exit(passed ? 0 : 1);
    }
    console.log("serving until Ctrl-C");
    process.on("SIGINT", () => void sandbox.close().then(() => process.exit(0)));
}

if (require.main === module) {
    main().catch(error => {
        console.error(error);
        process.exit(1);
    });
}
