import type * as http from "http";
import type { SandboxContext, SandboxService } from "../cloud";
import { decodeUriPart, sendJson } from "../cloud";

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations/;

/** Lambda Invoke (REST-JSON): RequestResponse answers with the result or a function error; Event answers 202. */
export class LambdaService implements SandboxService {
    constructor(private readonly ctx: SandboxContext, private readonly exists: (functionNameOrArn: string) => boolean) {}

    async handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<boolean> {
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
