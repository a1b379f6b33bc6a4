import { randomUUID } from "crypto";
import type * as http from "http";
import { AwsError, SandboxContext, SandboxService } from "../../cloud";
import type { ServiceProvider } from "../../provider";
import type { OperationCall } from "../../protocols/wire";
import { Json, ServiceError } from "./model";
import { createStepFunctionsOperations, StepFunctionsOptions } from "./operations";

export type { StepFunctionsOptions } from "./operations";

/** Step Functions on the AWS JSON 1.0 protocol (`X-Amz-Target: AWSStepFunctions.<Operation>`) for the synthesized state machines. */
export function createStepFunctionsService(ctx: SandboxContext, options: StepFunctionsOptions): SandboxService & Pick<ServiceProvider, "call"> {
    const { operations, close } = createStepFunctionsOperations(ctx, options);
    return {
        /** The same operations for other providers and the console, in process. */
        async call({ operation, input }: OperationCall): Promise<Json> {
            const handler = operations[operation];
            if (!handler) {
                throw new AwsError("UnknownOperationException", `The sandbox does not implement ${operation}`);
            }
            try {
                return handler(input);
            } catch (error) {
                throw error instanceof ServiceError ? new AwsError(error.code, error.message, error.status) : error;
            }
        },
        async handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<boolean> {
            const target = String(req.headers["x-amz-target"] ?? "");
            if (!target.startsWith("AWSStepFunctions.")) {
                return false;
            }
            const operation = target.slice("AWSStepFunctions.".length);
            const send = (status: number, payload: Json) => {
                res.writeHead(status, { "Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": randomUUID() });
                res.end(JSON.stringify(payload));
            };
            try {
                const handler = operations[operation];
                if (!handler) {
                    throw new ServiceError("UnknownOperationException", `The sandbox does not implement ${operation}`);
                }
                send(200, handler(body.length ? JSON.parse(body.toString("utf8")) : {}));
            } catch (error) {
                if (error instanceof ServiceError) {
                    send(error.status, { __type: error.code, message: error.message });
                } else {
                    const message = error instanceof Error ? error.message : String(error);
                    ctx.log({ kind: "error", message: `Step Functions ${operation}: ${message}` });
                    send(500, { __type: "InternalFailure", message });
                }
            }
            return true;
        },
        async close(): Promise<void> {
            close();
        },
    };
}
