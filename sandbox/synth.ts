import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { MockCloud, RecordedResource } from "./mock-cloud";
import { loadStackConfig, StackConfig } from "./stack-config";

/** An archive's files: inline text (the serialized handler) or a path relative to the project root. */
export type PlainArchive = Record<string, { text: string } | { path: string }>;

export interface Synthesis {
    stack: string;
    config: Record<string, string>;
    resources: RecordedResource[];
    outputs: Record<string, any>;
}

export interface SynthesizeOptions {
    projectDir: string;
    stack: string;
    /** Config values that win over the stack file's, e.g. the sandbox's own endpoint. */
    overrides?: Record<string, unknown>;
}

const LOCAL_ACCOUNT = "000000000000";
const MOCK_AWS_ACCOUNT = "123456789012";

function endpointOf(config: StackConfig): string | undefined {
    const endpoints = config.values["aws:endpoints"];
    if (!endpoints) {
        return undefined;
    }
    const first = JSON.parse(endpoints)[0] ?? {};
    return Object.values(first)[0] as string | undefined;
}

/**
 * Runs the Pulumi program of `projectDir` under runtime mocks with the given stack's config and returns
 * every resource it registers (inputs with archives made plain) and its stack outputs. It loads the
 * program once per process: run it in a fresh process per stack.
 */
export async function synthesize(options: SynthesizeOptions): Promise<Synthesis> {
    return withPlainStackTraces(() => synthesizeProgram(options));
}

/**
 * Runs `work` with V8's own stack formatting. Pulumi takes a call stack for every resource and promise it creates
 * (@pulumi/pulumi resource.js `callsites`, runtime/debuggable.js); ts-node's source-map formatter made those a third
 * of synthesis time in a CPU profile, and under mocks nothing reads them.
 */
async function withPlainStackTraces<T>(work: () => Promise<T>): Promise<T> {
    const formatter = Error.prepareStackTrace;
    delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
    try {
        return await work();
    } finally {
        Error.prepareStackTrace = formatter;
    }
}

async function synthesizeProgram(options: SynthesizeOptions): Promise<Synthesis> {
    const config = loadStackConfig(options.projectDir, options.stack, options.overrides);
    const endpoint = endpointOf(config);
    const cloud = new MockCloud({
        region: config.values["aws:region"] ?? "us-east-1",
        accountId: endpoint ? LOCAL_ACCOUNT : MOCK_AWS_ACCOUNT,
        endpoint,
    });
    pulumi.runtime.setAllConfig(config.values);
    await pulumi.runtime.setMocks(cloud, config.project, config.stack, false);
    const program = require(path.join(options.projectDir, "index.ts"));
    const outputs = await resolveOutputs(program);
    await waitForRegistrations();
    const resources = await Promise.all(cloud.resources.map(async resource => ({ ...resource, inputs: await toPlain(resource.inputs), state: await toPlain(resource.state) })));
    return { stack: options.stack, config: config.values, resources, outputs };
}

async function resolveOutputs(program: Record<string, unknown>): Promise<Record<string, any>> {
    const exported = Object.fromEntries(Object.entries(program).filter(([key]) => key !== "__esModule"));
    return new Promise(resolve => pulumi.output(exported).apply(values => resolve(values as Record<string, any>)));
}

async function waitForRegistrations(): Promise<void> {
    // Registrations finish asynchronously after the program returns; Pulumi's own RPC tracker knows when.
    const settings = require("@pulumi/pulumi/runtime/settings");
    await settings.waitForRPCs();
}

/** Replaces Pulumi assets and archives in resource inputs by plain JSON. */
export async function toPlain(value: any): Promise<any> {
    if (pulumi.asset.Archive.isInstance(value) && "assets" in value) {
        const assets = await (value as any).assets;
        const archive: PlainArchive = {};
        for (const [file, asset] of Object.entries<any>(assets)) {
            if (asset.text !== undefined) {
                archive[file] = { text: await asset.text };
            } else {
                archive[file] = { path: await asset.path };
            }
        }
        return { $archive: archive };
    }
    if (Array.isArray(value)) {
        return Promise.all(value.map(toPlain));
    }
    if (value && typeof value === "object") {
        const entries = await Promise.all(Object.entries(value).map(async ([key, item]) => [key, await toPlain(item)]));
        return Object.fromEntries(entries);
    }
    return value;
}
