import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import { Clock, REAL_TIME } from "./clock";
import { AwsError, requestId, SandboxContext, SandboxLog, sendJson } from "./cloud";
import { asAwsError, OperationCall, WireRequest, writeResponse } from "./protocols/wire";
import { isConsolePath } from "./console";
import { selfServing, ServiceProvider } from "./provider";
import { protocolOf, ProviderRegistry, serviceOf } from "./router";
import { WorkerFunctionRuntime } from "./functions";
import { AccessDeniedError, Authorizer, IamMode } from "./iam/authorizer";
import { deniedResponse, serviceDenial } from "./iam/denials";
import { selfServedCall } from "./iam/front-door";
import { accessKeyOf, Identities, Principal } from "./iam/identity";
import { DeployedPolicies } from "./iam/policies";
import type { RecordedResource } from "./mock-cloud";
import { createApiGatewayService } from "./services/api-gateway";
import { CloudWatchService, MetricStore } from "./services/cloudwatch";
import { lambdaTelemetry } from "./services/cloudwatch/lambda-telemetry";
import { DynamoDbService } from "./services/dynamodb";
import { EventBridgeService } from "./services/eventbridge";
import { IamService } from "./services/iam/provider";
import { LambdaService } from "./services/lambda";
import { LogsService } from "./services/logs";
import { S3Service } from "./services/s3";
import { SnsService } from "./services/sns";
import { SqsService } from "./services/sqs";
import { createStepFunctionsService } from "./services/stepfunctions";
import { StsService } from "./services/sts/provider";
import { startEventSourceMappings } from "./wiring";

export interface DeployOptions {
    endpoint: string;
    region: string;
    accountId: string;
    resources: RecordedResource[];
    log: SandboxLog;
    projectDir?: string;
    /** See FunctionRuntimeOptions.functionOutput. Default: "inherit". */
    functionOutput?: "inherit" | "discard";
    /** Scales every configured wait: Step Functions retries, Wait states and timeouts, SQS visibility timeouts and delays, Lambda timeouts. Default: real time. */
    clock?: Clock;
    /** How calls are authorized. Default: enforce, every statement as deployed. */
    iam?: IamOptions;
}

export interface IamOptions {
    /** Default: "enforce". */
    mode?: IamMode;
    /** Role statements to leave out, `<role logical or physical name>/<Sid>`, to see which path needs them. Default: none. */
    withoutStatements?: string[];
}

/** The live local cloud for one synthesis: every provider, the function runtime and the event wiring. */
export interface DeployedCloud {
    providers: ProviderRegistry;
    authorizer: Authorizer;
    sqs: SqsService;
    close(): Promise<void>;
}

/** Turns synthesized resources into live local providers (DynamoDB first: its tables must exist before anything runs). */
export async function deployCloud(options: DeployOptions): Promise<DeployedCloud> {
    const projectDir = options.projectDir ?? path.resolve(__dirname, "..");
    const identities = new Identities(options.accountId, options.resources);
    const authorizer = new Authorizer(options.iam?.mode ?? "enforce", new DeployedPolicies(identities, options.resources, options.iam?.withoutStatements),
        { region: options.region, accountId: options.accountId }, options.log);
    const metrics = new MetricStore();
    const logs = new LogsService(options, metrics);
    const functions = new WorkerFunctionRuntime({
        projectDir, endpoint: options.endpoint, region: options.region, resources: options.resources, identities, log: options.log, functionOutput: options.functionOutput, clock: options.clock,
        observer: lambdaTelemetry(options.resources, metrics, logs),
    });
    const ctx: SandboxContext = { endpoint: options.endpoint, region: options.region, accountId: options.accountId, resources: options.resources, functions, identities, authorizer, log: options.log };
    const dynamodb = await DynamoDbService.start(ctx);
    const sqs = new SqsService(ctx, options.clock);
    const sns = new SnsService(ctx, sqs);
    const eventBridge = new EventBridgeService(ctx, sns, sqs);
    const s3 = new S3Service(ctx, { sns, sqs, eventBridge });
    const mappings = startEventSourceMappings(ctx, sqs);
    const providers = new ProviderRegistry([
        selfServing("dynamodb", dynamodb), sqs, selfServing("events", eventBridge), sns,
        selfServing("lambda", new LambdaService(ctx, name => functions.find(name) !== undefined, mappings)), s3, new StsService(ctx), new IamService(ctx), logs,
    ], authorizer);
    providers.add(new CloudWatchService(ctx, { metrics, sqs, clock: options.clock ?? REAL_TIME, providers }));
    providers.add(selfServing("states", createStepFunctionsService(ctx, { clock: options.clock, providers, metrics })));
    providers.add(selfServing("execute-api", createApiGatewayService(ctx, providers)));
    return {
        providers, sqs, authorizer,
        close: async () => {
            await sqs.close();
            await Promise.all(mappings.map(mapping => mapping.stop()));
            await functions.close();
            await Promise.all(providers.providers.map(provider => provider.close?.()));
        },
    };
}

export interface ServerLimits {
    /** A client must have sent all its headers within this time. Default: 20 s. */
    headersTimeoutMs?: number;
    /** A client must have sent its whole request within this time (a 5 GB part at a slow link still fits). Default: 15 min. */
    requestTimeoutMs?: number;
}

/** Serves the console (sandbox/console) on the sandbox's port. */
export type ConsoleHandler = (req: http.IncomingMessage, url: URL, res: http.ServerResponse) => Promise<void>;

/** Thrown by `listen` when another process holds the port. */
export class PortInUseError extends Error {
    constructor(public readonly port: number) {
        super(`port ${port} is already in use (another sandbox or LocalStack?); stop it or choose another with --port`);
    }
}

/** An AWS-shaped error answer written straight to a socket whose request never reached a service. */
function rawErrorResponse(status: number, reason: string, code: string, message: string): string {
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId()}</RequestId></Error>`;
    return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** What Node's HTTP parser reports for a request it cannot read, as S3 answers it (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). */
function clientErrorResponse(error: NodeJS.ErrnoException): string {
    switch (error.code) {
        case "HPE_HEADER_OVERFLOW":
            return rawErrorResponse(400, "Bad Request", "RequestHeaderSectionTooLarge", "Your request header section exceeds the maximum allowed size.");
        case "ERR_HTTP_REQUEST_TIMEOUT":
            return rawErrorResponse(400, "Bad Request", "RequestTimeout", "Your socket connection to the server was not read from or written to within the timeout period.");
        default:
            return rawErrorResponse(400, "Bad Request", "BadRequest", "The request could not be parsed as HTTP/1.1.");
    }
}

/** Reads a request body; rejects when the client goes away before sending all of it. */
function readBody(req: http.IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => resolve(Buffer.concat(chunks)));
        req.on("error", reject);
        req.on("aborted", () => reject(new Error("client closed the connection mid-body")));
    });
}

/** One HTTP endpoint for every service; it listens before the program is synthesized (the endpoint is part of its config). */
export class SandboxServer {
    private providers = new ProviderRegistry([]);
    private console?: ConsoleHandler;
    private readonly server: http.Server;

    constructor(private readonly log: SandboxLog, limits: ServerLimits = {}) {
        const headersTimeout = limits.headersTimeoutMs ?? 20_000;
        this.server = http.createServer({
            headersTimeout, requestTimeout: limits.requestTimeoutMs ?? 900_000,
            // How often Node checks the two timeouts above; its default (30 s) would let a slow client outlive a short limit.
            connectionsCheckingInterval: Math.max(50, Math.min(headersTimeout / 4, 5000)),
        }, (req, res) => void this.dispatch(req, res));
        // Clients reuse a socket only until the Keep-Alive hint minus 1 s (undici's keepAliveTimeoutThreshold, Node's http.Agent):
        // at 1 s every SDK call and fetch opened a new connection. 60 s is the idle timeout of AWS's Application Load Balancer.
        this.server.keepAliveTimeout = 60_000;
        this.server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
            this.log({ kind: "error", message: `client error: ${error.code ?? error.message}` });
            if (socket.writable && error.code !== "ECONNRESET") {
                socket.end(clientErrorResponse(error));
            } else {
                socket.destroy();
            }
        });
    }

    async listen(port: number): Promise<string> {
        await new Promise<void>((resolve, reject) => {
            this.server.once("error", (error: NodeJS.ErrnoException) => reject(error.code === "EADDRINUSE" ? new PortInUseError(port) : error));
            this.server.listen(port, "127.0.0.1", resolve);
        });
        return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    attach(providers: ProviderRegistry, console?: ConsoleHandler): void {
        this.providers = providers;
        this.console = console;
    }

    async close(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise<void>(resolve => this.server.close(() => resolve()));
    }

    /** Decodes the request with the provider's codec for its protocol, runs the operation and encodes the answer. */
    private async callModelled(provider: ServiceProvider, request: WireRequest, principal: Principal | undefined, res: http.ServerResponse): Promise<void> {
        const protocol = protocolOf(request.headers, request.url, provider);
        const codec = protocol && provider.api!.codecs[protocol];
        if (!codec || !provider.call) {
            throw new AwsError("UnknownOperationException", `${provider.signingName} does not serve ${request.method} ${request.url.pathname} in this protocol`, 404);
        }
        let call: OperationCall | undefined;
        try {
            call = codec.decode(request, provider.api!.model);
            if (principal) {
                await this.providers.authorizer?.authorize(principal, provider.signingName, call.operation, call.input);
            }
            writeResponse(res, codec.encodeResult(call, await provider.call(call, request), provider.api!.model));
        } catch (error) {
            const failure = error instanceof AccessDeniedError ? serviceDenial(provider.signingName, error) : asAwsError(error);
            if (failure.status >= 500) {
                this.log({ kind: "error", message: `${provider.signingName} ${call?.operation ?? request.url.pathname}: ${(error as Error).stack ?? error}` });
            }
            writeResponse(res, codec.encodeError(call, failure, provider.api!.model));
        }
    }

    private async serveConsole(req: http.IncomingMessage, url: URL, res: http.ServerResponse): Promise<void> {
        try {
            if (!this.console) {
                throw new AwsError("ServiceUnavailable", "The console starts once the program is deployed.", 503);
            }
            await this.console(req, url, res);
        } catch (error) {
            this.log({ kind: "error", message: `${req.method} ${req.url}: ${(error as Error).stack ?? error}` });
            if (!res.headersSent) {
                sendJson(res, error instanceof AwsError ? error.status : 500, { error: (error as Error).message }, "application/json");
            }
        }
    }

    private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        let body: Buffer;
        try {
            body = await readBody(req);
        } catch (error) {
            this.log({ kind: "error", message: `${req.method} ${req.url}: ${(error as Error).message}` });
            req.socket.destroy();
            return;
        }
        const url = new URL(req.url ?? "/", "http://sandbox");
        if (isConsolePath(url.pathname)) {
            // Before service detection, which would hand the path to S3 as a bucket; `_console` can never be one (see CONSOLE_PREFIX).
            await this.serveConsole(req, url, res);
            return;
        }
        const service = serviceOf(req.method ?? "GET", req.headers, url, body);
        const provider = this.providers.get(service);
        try {
            if (!provider) {
                throw new AwsError("NotImplemented", `The sandbox does not serve the ${service} service.`, 501);
            }
            const authorizer = this.providers.authorizer;
            // The caller is whoever signed: a role session issued by the sandbox, or the account root for any other key.
            const principal = authorizer ? authorizer.policies.identities.principalOf(accessKeyOf(req.headers.authorization, url)) : undefined;
            if (provider.serve) {
                const call = principal && selfServedCall(service, req.method ?? "GET", url, req.headers, body);
                if (call) {
                    try {
                        await authorizer!.authorize(principal, service, call.operation, call.input);
                    } catch (error) {
                        if (error instanceof AccessDeniedError) {
                            writeResponse(res, deniedResponse(service, req.method ?? "GET", error));
                            return;
                        }
                        throw error;
                    }
                }
                await provider.serve(req, body, res);
                return;
            }
            await this.callModelled(provider, { method: req.method ?? "GET", url, headers: req.headers, body }, principal, res);
        } catch (error) {
            this.log({ kind: "error", message: `${req.method} ${req.url}: ${(error as Error).stack ?? error}` });
            if (!res.headersSent) {
                sendJson(res, error instanceof AwsError ? error.status : 500, { __type: (error as AwsError).code ?? "InternalFailure", message: (error as Error).message }, "application/json");
            } else {
                res.end();
            }
        }
    }
}
