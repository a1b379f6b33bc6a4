import * as http from "http";
import type { AddressInfo } from "net";
import { PassThrough } from "stream";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import type { SandboxContext, SandboxService } from "../cloud";
import { AwsError, resourcesOfType, sendJson } from "../cloud";
import type { OperationCall } from "../protocols/wire";

// dynalite has no type declarations; its factory returns an http.Server.
const dynalite: (options: Record<string, unknown>) => http.Server = require("dynalite");

const STOPPING = "The sandbox is stopping.";

/** DynamoDB served by dynalite; the sandbox endpoint hands raw requests to its request handler, and its own port serves only table creation. */
export class DynamoDbService implements SandboxService {
    /** Set by close(): dynalite's database then throws from inside its handler, outside any request, so calls are refused first. */
    private closed = false;
    /** Requests inside dynalite; close() waits for them, since closing its database under one throws outside any request. */
    private readonly inFlight = new Set<Promise<unknown>>();

    private constructor(private readonly server: http.Server) {}

    /** Starts dynalite and creates every synthesized `aws:dynamodb/table:Table`. */
    static async start(ctx: SandboxContext): Promise<DynamoDbService> {
        const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
        await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
        const port = (server.address() as AddressInfo).port;
        const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: ctx.region, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
        for (const table of resourcesOfType(ctx.resources, "aws:dynamodb/table:Table")) {
            await createTable(client, table.inputs, table.state.name);
        }
        client.destroy();
        return new DynamoDbService(server);
    }

    async handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<boolean> {
        if (!String(req.headers["x-amz-target"] ?? "").startsWith("DynamoDB_20120810.")) {
            return false;
        }
        if (this.closed) {
            sendJson(res, 503, { __type: "com.amazonaws.dynamodb.v20120810#ServiceUnavailable", message: STOPPING });
            return true;
        }
        // dynalite's request handler answers on the client's own response, in process: the body is read already, so a
        // second HTTP hop to its port would only parse and copy every request and answer again.
        const answered = new Promise<void>(resolve => {
            res.once("finish", resolve);
            res.once("close", resolve);
        });
        const request = Object.assign(new PassThrough(), { method: req.method, url: req.url, headers: req.headers });
        this.server.emit("request", request, res);
        request.end(body);
        await this.track(answered);
        return true;
    }

    /** One DynamoDB operation for another provider, handed to dynalite's request handler in process (no socket). */
    async call({ operation, input }: OperationCall): Promise<Record<string, any>> {
        if (this.closed) {
            throw new AwsError("ServiceUnavailable", STOPPING, 503);
        }
        const request = Object.assign(new PassThrough(), {
            method: "POST", url: "/",
            headers: {
                "content-type": "application/x-amz-json-1.0", "x-amz-target": `DynamoDB_20120810.${operation}`, "x-amz-date": "20200101T000000Z",
                // dynalite checks that a SigV4 header is present and well formed, never the signature.
                authorization: "AWS4-HMAC-SHA256 Credential=test/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
            },
        });
        const answer = await this.track(new Promise<{ status: number; body: string }>(resolve => {
            const response = { statusCode: 200, setHeader: () => undefined, end: (body?: string) => resolve({ status: response.statusCode, body: String(body ?? "") }) };
            this.server.emit("request", request, response);
            request.end(JSON.stringify(input));
        }));
        const output = answer.body ? JSON.parse(answer.body) : {};
        if (answer.status !== 200) {
            throw new AwsError(String(output.__type ?? "InternalFailure").split("#").pop()!, output.message ?? output.Message ?? "", answer.status);
        }
        return output;
    }

    private async track<T>(answer: Promise<T>): Promise<T> {
        this.inFlight.add(answer);
        try {
            return await answer;
        } finally {
            this.inFlight.delete(answer);
        }
    }

    async close(): Promise<void> {
        this.closed = true;
        await Promise.allSettled([...this.inFlight]);
        await new Promise<void>(resolve => this.server.close(() => resolve()));
    }
}

async function createTable(client: DynamoDBClient, inputs: Record<string, any>, name: string): Promise<void> {
    const keySchema = (hash: string, range?: string) => [{ AttributeName: hash, KeyType: "HASH" as const }, ...(range ? [{ AttributeName: range, KeyType: "RANGE" as const }] : [])];
    const throughput = { ReadCapacityUnits: inputs.readCapacity ?? 5, WriteCapacityUnits: inputs.writeCapacity ?? 5 };
    const provisioned = inputs.billingMode === "PROVISIONED";
    const indexes = (inputs.globalSecondaryIndexes ?? []) as any[];
    await client.send(new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: (inputs.attributes as any[]).map(attribute => ({ AttributeName: attribute.name, AttributeType: attribute.type })),
        KeySchema: keySchema(inputs.hashKey, inputs.rangeKey),
        BillingMode: provisioned ? "PROVISIONED" : "PAY_PER_REQUEST",
        ...(provisioned ? { ProvisionedThroughput: throughput } : {}),
        ...(indexes.length > 0 ? {
            GlobalSecondaryIndexes: indexes.map(index => ({
                IndexName: index.name,
                KeySchema: keySchema(index.hashKey, index.rangeKey),
                Projection: { ProjectionType: index.projectionType ?? "ALL", ...(index.nonKeyAttributes ? { NonKeyAttributes: index.nonKeyAttributes } : {}) },
                ...(provisioned ? { ProvisionedThroughput: throughput } : {}),
            })),
        } : {}),
    }));
    for (let status = ""; status !== "ACTIVE";) {
        status = (await client.send(new DescribeTableCommand({ TableName: name }))).Table?.TableStatus ?? "";
    }
    if (inputs.ttl?.enabled && inputs.ttl.attributeName) {
        await client.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { Enabled: true, AttributeName: inputs.ttl.attributeName } })).catch(() => undefined);
    }
}
