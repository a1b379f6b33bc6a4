import type * as http from "http";
import type { SandboxContext, SandboxService } from "../cloud";
import { AwsError, decodeUriPart, resourcesOfType, sendJson } from "../cloud";
import type { OperationCall } from "../protocols/wire";
import type { EventSourceMapping } from "../wiring";

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations/;
const LIST_PATH = /^\/2015-03-31\/functions\/?$/;
const MAPPINGS_PATH = /^\/2015-03-31\/event-source-mappings\/?([^/]*)$/;
/** Lambda's defaults for settings a function leaves out (https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html). */
const DEFAULT_TIMEOUT = 3;
const DEFAULT_MEMORY = 128;

/**
 * Lambda (REST-JSON): ListFunctions from the deployed functions; Invoke, RequestResponse answering with the result or a
 * function error, Event with 202; List/Get/UpdateEventSourceMapping(s), the update switching a mapping's pollers on or off.
 */
export class LambdaService implements SandboxService {
    /** When each mapping was last changed: deployed now, then updated. */
    private readonly modified = new Map<string, number>();

    constructor(private readonly ctx: SandboxContext, private readonly exists: (functionNameOrArn: string) => boolean, private readonly mappings: EventSourceMapping[] = []) {
        mappings.forEach(mapping => this.modified.set(mapping.uuid, Date.now()));
    }

    /** The deployed functions as FunctionConfiguration entries. */
    private configurations(): Record<string, unknown>[] {
        return resourcesOfType(this.ctx.resources, "aws:lambda/function:Function").map(resource => ({
            FunctionName: resource.state.name, FunctionArn: resource.state.arn, Runtime: resource.inputs.runtime, Role: resource.inputs.role,
            Handler: resource.inputs.handler ?? "__index.handler", Timeout: resource.inputs.timeout ?? DEFAULT_TIMEOUT, MemorySize: resource.inputs.memorySize ?? DEFAULT_MEMORY,
            Description: resource.inputs.description ?? "", Version: "$LATEST", PackageType: "Zip", Architectures: resource.inputs.architectures ?? ["x86_64"],
            ...(resource.inputs.environment?.variables ? { Environment: { Variables: resource.inputs.environment.variables } } : {}),
            TracingConfig: { Mode: resource.inputs.tracingConfig?.mode ?? "PassThrough" }, State: "Active", LastUpdateStatus: "Successful",
        }));
    }

    /** An EventSourceMappingConfiguration (https://docs.aws.amazon.com/lambda/latest/api/API_GetEventSourceMapping.html); `changing` = the state an update answers with. */
    private mappingConfiguration(mapping: EventSourceMapping, changing = false): Record<string, unknown> {
        const inputs = mapping.resource.inputs;
        const functionArn = this.configurations().find(fn => fn.FunctionName === inputs.functionName || fn.FunctionArn === inputs.functionName)?.FunctionArn ?? inputs.functionName;
        return {
            UUID: mapping.uuid, EventSourceMappingArn: mapping.resource.state.arn, EventSourceArn: inputs.eventSourceArn, FunctionArn: functionArn,
            BatchSize: inputs.batchSize ?? 10, MaximumBatchingWindowInSeconds: inputs.maximumBatchingWindowInSeconds ?? 0,
            FunctionResponseTypes: inputs.functionResponseTypes ?? [], LastModified: this.modified.get(mapping.uuid)! / 1000,
            State: changing ? (mapping.enabled ? "Enabling" : "Disabling") : (mapping.enabled ? "Enabled" : "Disabled"), StateTransitionReason: "USER_INITIATED",
        };
    }

    /** ListEventSourceMappings, GetEventSourceMapping and UpdateEventSourceMapping (Enabled only); false when the path is not theirs. */
    private handleMappings(method: string, url: URL, body: Buffer, res: http.ServerResponse): boolean {
        const match = MAPPINGS_PATH.exec(url.pathname);
        if (!match) {
            return false;
        }
        const uuid = decodeUriPart(match[1]);
        if (!uuid && method === "GET") {
            const functionName = url.searchParams.get("FunctionName");
            const sourceArn = url.searchParams.get("EventSourceArn");
            const listed = this.mappings.map(mapping => this.mappingConfiguration(mapping))
                .filter(item => (!functionName || item.FunctionArn === functionName || String(item.FunctionArn).endsWith(`:function:${functionName}`)) && (!sourceArn || item.EventSourceArn === sourceArn));
            sendJson(res, 200, { EventSourceMappings: listed }, "application/json");
            return true;
        }
        if (method !== "GET" && method !== "PUT") {
            return false;
        }
        const mapping = this.mappings.find(item => item.uuid === uuid);
        if (!mapping) {
            sendJson(res, 404, { Type: "User", Message: "The resource you requested does not exist." }, "application/json", { "x-amzn-errortype": "ResourceNotFoundException" });
            return true;
        }
        if (method === "GET") {
            sendJson(res, 200, this.mappingConfiguration(mapping), "application/json");
            return true;
        }
        const update = body.length > 0 ? JSON.parse(body.toString("utf8")) as Record<string, unknown> : {};
        const unsupported = Object.keys(update).filter(key => key !== "Enabled");
        if (unsupported.length > 0) {
            sendJson(res, 400, { Type: "User", message: `The sandbox updates an event source mapping's Enabled only, not ${unsupported.join(", ")}.` }, "application/json", { "x-amzn-errortype": "InvalidParameterValueException" });
            return true;
        }
        if (typeof update.Enabled === "boolean" && update.Enabled !== mapping.enabled) {
            mapping.enabled = update.Enabled;
            this.modified.set(mapping.uuid, Date.now());
        }
        sendJson(res, 202, this.mappingConfiguration(mapping, true), "application/json");
        return true;
    }

    /** ListFunctions for the console, in process; invocations go through the function runtime, never here. */
    async call({ operation }: OperationCall): Promise<Record<string, unknown>> {
        if (operation !== "ListFunctions") {
            throw new AwsError("InvalidAction", `The sandbox cannot call lambda ${operation} in process.`);
        }
        return { Functions: this.configurations() };
    }

    async handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<boolean> {
        const url = new URL(req.url ?? "/", "http://sandbox");
        const path = url.pathname;
        if (req.method === "GET" && LIST_PATH.test(path)) {
            sendJson(res, 200, { Functions: this.configurations() }, "application/json");
            return true;
        }
        if (this.handleMappings(req.method ?? "GET", url, body, res)) {
            return true;
        }
        const match = INVOKE_PATH.exec(req.url ?? "");
        if (req.method !== "POST" || !match) {
            return false;
        }
        const functionName = decodeUriPart(match[1]);
        if (!this.exists(functionName)) {
            sendJson(res, 404, { Type: "User", message: `Function not found: ${functionName}` }, "application/json", { "x-amzn-errortype": "ResourceNotFoundException" });
            return true;
        }
        const payload = body.length > 0 ? JSON.parse(body.toString("utf8")) : {};
        if (req.headers["x-amz-invocation-type"] === "Event") {
            this.ctx.functions.invokeAsync(functionName, payload);
            res.writeHead(202, { "content-length": 0 });
            res.end();
            return true;
        }
        try {
            const result = await this.ctx.functions.invoke(functionName, payload);
            sendJson(res, 200, result ?? null, "application/json", { "x-amz-executed-version": "$LATEST" });
        } catch (error) {
            const failure = error as Error;
            sendJson(res, 200, { errorType: failure.name, errorMessage: failure.message }, "application/json",
                { "x-amz-function-error": "Unhandled", "x-amz-executed-version": "$LATEST" });
        }
        return true;
    }
}
