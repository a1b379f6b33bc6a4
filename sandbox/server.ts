import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import type { Clock } from "./clock";
import { AwsError, SandboxContext, SandboxLog, SandboxService, sendJson } from "./cloud";
import { WorkerFunctionRuntime } from "./functions";
import type { RecordedResource } from "./mock-cloud";
import { createApiGatewayService } from "./services/api-gateway";
import { DynamoDbService } from "./services/dynamodb";
import { EventBridgeService } from "./services/eventbridge";
import { LambdaService } from "./services/lambda";
import { S3Service } from "./services/s3";
import { SnsService } from "./services/sns";
import { SqsService } from "./services/sqs";
import { createStepFunctionsService } from "./services/stepfunctions";
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
    /** Scales every configured wait: Step Functions retries, Wait states and timeouts, SQS visibility timeouts and delays. Default: real time. */
    clock?: Clock;
}

/** The live local cloud for one synthesis: every service, the function runtime and the event wiring. */
export interface DeployedCloud {
    services: SandboxService[];
    sqs: SqsService;
    close(): Promise<void>;
}

/** Turns synthesized resources into live local services (DynamoDB first: its tables must exist before anything runs). */
export async function deployCloud(options: DeployOptions): Promise<DeployedCloud> {
    const projectDir = options.projectDir ?? path.resolve(__dirname, "..");
    const functions = new WorkerFunctionRuntime({ projectDir, endpoint: options.endpoint, region: options.region, resources: options.resources, log: options.log, functionOutput: options.functionOutput });
    const ctx: SandboxContext = { endpoint: options.endpoint, region: options.region, accountId: options.accountId, resources: options.resources, functions, log: options.log };
    const dynamodb = await DynamoDbService.start(ctx);
    const sqs = new SqsService(ctx, options.clock);
    const sns = new SnsService(ctx, sqs);
    const eventBridge = new EventBridgeService(ctx, sns, sqs);
    const s3 = new S3Service(ctx, { sns, sqs, eventBridge });
    // Order matters: target/form/path-based protocols first, S3 (everything else) last.
    const services: SandboxService[] = [
        dynamodb, sqs, eventBridge, createStepFunctionsService(ctx, { clock: options.clock }), sns,
        new LambdaService(ctx, name => functions.find(name) !== undefined), createApiGatewayService(ctx), s3,
    ];
    const pollers = startEventSourceMappings(ctx, sqs);
    return {
        services, sqs,
        close: async () => {
            await sqs.close();
            await Promise.all(pollers.map(poller => poller.stop()));
            await functions.close();
            await Promise.all(services.map(service => service.close?.()));
        },
    };
}

/** One HTTP endpoint for every service; it listens before the program is synthesized (the endpoint is part of its config). */
export class SandboxServer {
    private services: SandboxService[] = [];
    private readonly server: http.Server;

    constructor(private readonly log: SandboxLog) {
        this.server = http.createServer((req, res) => void this.dispatch(req, res));
        this.server.keepAliveTimeout = 1000;
    }

    async listen(port: number): Promise<string> {
        await new Promise<void>((resolve, reject) => {
            this.server.once("error", reject);
            this.server.listen(port, "127.0.0.1", resolve);
        });
        return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    attach(services: SandboxService[]): void {
        this.services = services;
    }

    async close(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise<void>(resolve => this.server.close(() => resolve()));
    }

    private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const chunks: Buffer[] = [];
        for await (const chunk of req) {
            chunks.push(chunk as Buffer);
        }
        const body = Buffer.concat(chunks);
        try {
            for (const service of this.services) {
                if (await service.handle(req, body, res)) {
                    return;
                }
            }
            throw new AwsError("UnknownOperationException", `No sandbox service for ${req.method} ${req.url}`, 404);
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
