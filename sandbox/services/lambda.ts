import type * as http from "http";
import type { SandboxContext, SandboxService } from "../cloud";
import { AwsError, decodeUriPart, resourcesOfType, sendJson } from "../cloud";
import type { OperationCall } from "../protocols/wire";

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations/;
const LIST_PATH = /^\/2015-03-31\/functions\/?$/;
/** Lambda's defaults for settings a function leaves out (https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html). */
const DEFAULT_TIMEOUT = 3;
const DEFAULT_MEMORY = 128;

/** Lambda (REST-JSON): ListFunctions from the deployed functions; Invoke, RequestResponse answering with the result or a function error, Event with 202. */
export class LambdaService implements SandboxService {
    constructor(private readonly ctx: SandboxContext, private readonly exists: (functionNameOrArn: string) => boolean) {}

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

    /** ListFunctions for the console, in process; invocations go through the function runtime, never here. */
    async call({ operation }: OperationCall): Promise<Record<string, unknown>> {
        if (operation !== "ListFunctions") {
            throw new AwsError("InvalidAction", `The sandbox cannot call lambda ${operation} in process.`);
        }
        return { Functions: this.configurations() };
    }

    async handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<boolean> {
        const path = new URL(req.url ?? "/", "http://sandbox").pathname;
        if (req.method === "GET" && LIST_PATH.test(path)) {
            sendJson(res, 200, { Functions: this.configurations() }, "application/json");
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
