import type * as http from "http";
import type { SandboxService } from "./cloud";
import type { ServiceModel } from "./protocols/model";
import type { OperationCall, ProtocolCodec, WireRequest } from "./protocols/wire";

/** Which of a service's protocols a request speaks, as AWS tells them apart (LocalStack: aws/protocol/service_router.py). */
export type ProtocolName = "json" | "query" | "rest";

/**
 * One AWS service in the sandbox. A modelled provider holds state and behaviour only: the router decodes
 * requests with the shared codecs into `call`s and encodes what it returns. A provider whose wire format a
 * library already speaks (dynalite, aws-local-stepfunctions) serves requests itself.
 */
export interface ServiceProvider {
    /** The SigV4 signing name (credential scope service) and the service part of its ARNs. */
    readonly signingName: string;
    readonly api?: { model: ServiceModel; codecs: Partial<Record<ProtocolName, ProtocolCodec>> };
    /** Runs one operation with the model's input shape; resolves with its output shape, throws AwsError with the model's error names. Without a request: called in process by another provider. */
    call?(call: OperationCall, request?: WireRequest): Promise<Record<string, any>>;
    serve?(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<void>;
    close?(): Promise<void>;
}

/** Wraps a service that reads and writes its own wire format (false = not its request) as a provider; `call` serves other providers in process. */
export function selfServing(signingName: string, service: SandboxService & Pick<ServiceProvider, "call">): ServiceProvider {
    return {
        signingName,
        ...(service.call ? { call: service.call.bind(service) } : {}),
        serve: async (req, body, res) => {
            if (!await service.handle(req, body, res)) {
                res.writeHead(404, { "content-type": "application/json" });
                res.end(JSON.stringify({ __type: "UnknownOperationException", message: `${signingName} does not serve ${req.method} ${req.url}` }));
            }
        },
        close: service.close?.bind(service),
    };
}
