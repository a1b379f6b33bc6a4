import { expect } from "chai";
import { Identities } from "../../sandbox/iam/identity";
import { createHash } from "crypto";
import * as http from "http";
import type { AddressInfo } from "net";
import { RestApi } from "../../components/shared/rest-api";
import type { FunctionRuntime, SandboxService } from "../../sandbox/cloud";
import type { RecordedResource } from "../../sandbox/mock-cloud";
import { ProviderRegistry } from "../../sandbox/router";
import { createApiGatewayService } from "../../sandbox/services/api-gateway";
import { promiseOf, resourcesUnder } from "../support/pulumi";

const REGION = "us-east-1";
const ACCOUNT = "123456789012";
const functionOf = (name: string) => {
    const arn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
    return { name, invokeArn: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${arn}/invocations` };
};

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
    const server = http.createServer(handler);
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function bodyOf(req: http.IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
        chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
}

describe("sandbox API Gateway service", () => {
    const invocations: { fn: string; event: any }[] = [];
    const functions: FunctionRuntime = {
        invoke: async (nameOrArn, event: any) => {
            const fn = nameOrArn.split(":").pop()!;
            invocations.push({ fn, event });
            if (fn === "raw") {
                return { statusCode: 201, body: Buffer.from([0xff, 0x00, 0x01]).toString("base64"), isBase64Encoded: true };
            }
            if (fn === "explodes") {
                throw Object.assign(new Error("boom"), { name: "TypeError" });
            }
            return { statusCode: 200, headers: { "Content-Type": "application/json" }, body: JSON.stringify({ orderId: event.pathParameters?.orderId ?? null }) };
        },
        invokeAsync: () => undefined,
    };
    const sentMessages: { QueueUrl: string; MessageBody: string }[] = [];
    let endpointRequests = 0;
    let sqs: { server: http.Server; url: string };
    let sandbox: { server: http.Server; url: string };
    let service: SandboxService;
    let base: string;

    before(async () => {
        // The sandbox's endpoint only counts requests: the SQS integration must reach the stand-in provider in process.
        sqs = await listen((_req, res) => {
            endpointRequests += 1;
            res.writeHead(500).end();
        });
        const providers = new ProviderRegistry([{
            signingName: "sqs",
            call: async ({ operation, input }) => {
                expect(operation).to.equal("SendMessage");
                sentMessages.push(input as { QueueUrl: string; MessageBody: string });
                return { MessageId: `msg-${sentMessages.length}`, MD5OfMessageBody: createHash("md5").update(input.MessageBody).digest("hex") };
            },
        }]);
        const api = new RestApi("sbx-api", {
            platform: { namePrefix: "sbx", local: true },
            apiName: "api",
            routes: [
                { kind: "lambda", method: "GET", path: "order/{orderId}", function: functionOf("get-order") },
                { kind: "lambda", method: "GET", path: "explodes", function: functionOf("explodes") },
                { kind: "lambda", method: "GET", path: "raw", function: functionOf("raw") },
                {
                    kind: "sqs", method: "POST", path: "builds", queue: { arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:build-requests` },
                    requestSchema: { type: "object", required: ["commit"], properties: { commit: { type: "string", pattern: "^[0-9a-f]{6,40}$" } }, additionalProperties: false },
                },
            ],
        });
        const apiId = await promiseOf(api.id);
        const resources: RecordedResource[] = await resourcesUnder("sbx-api");
        service = createApiGatewayService({ endpoint: sqs.url, region: REGION, accountId: ACCOUNT, resources, functions, identities: new Identities(ACCOUNT, resources), log: () => undefined }, providers);
        sandbox = await listen(async (req, res) => {
            if (!await service.handle(req, await bodyOf(req), res)) {
                res.writeHead(404).end();
            }
        });
        base = `${sandbox.url}/restapis/${apiId}/v1/_user_request_`;
    });

    after(async () => {
        await service.close?.();
        await new Promise(resolve => sandbox.server.close(resolve));
        await new Promise(resolve => sqs.server.close(resolve));
    });

    it("sends a Lambda proxy event with path parameters, query string and headers, and returns the function's response", async () => {
        const response = await fetch(`${base}/order/ORD-42?verbose=1&verbose=2`, { headers: { "X-Trace": "t-1" } });
        expect(response.status).to.equal(200);
        expect(await response.json()).to.deep.equal({ orderId: "ORD-42" });
        const { fn, event } = invocations[invocations.length - 1];
        expect(fn).to.equal("get-order");
        expect(event).to.include({ resource: "/order/{orderId}", path: "/order/ORD-42", httpMethod: "GET", body: null, isBase64Encoded: false });
        expect(event.pathParameters).to.deep.equal({ orderId: "ORD-42" });
        expect(event.queryStringParameters).to.deep.equal({ verbose: "2" });
        expect(event.multiValueQueryStringParameters).to.deep.equal({ verbose: ["1", "2"] });
        expect(event.headers["X-Trace"]).to.equal("t-1");
        expect(event.multiValueHeaders["X-Trace"]).to.deep.equal(["t-1"]);
        expect(event.requestContext).to.include({ stage: "v1", resourcePath: "/order/{orderId}", httpMethod: "GET", path: "/v1/order/ORD-42", accountId: ACCOUNT });
        expect(event.requestContext.requestId).to.match(/^[0-9a-f-]{36}$/);
        expect(event.requestContext.identity.sourceIp).to.equal("127.0.0.1");
    });

    it("answers a malformed percent escape in a route's path with a 400 gateway response, not a 5xx", async () => {
        const response = await fetch(`${base}/order/%E0%A4%A`);
        expect(response.status).to.equal(400);
        expect(response.headers.get("x-amzn-errortype")).to.equal("DEFAULT_4XX");
        expect(await response.json()).to.have.property("message").that.matches(/percent-encoding/);
    });

    it("queues a valid body through the SQS integration's template and answers 202 with the message id", async () => {
        const response = await fetch(`${base}/builds`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ commit: "abc123" }) });
        expect(response.status).to.equal(202);
        expect(response.headers.get("access-control-allow-origin")).to.equal("*");
        expect(await response.json()).to.deep.equal({ status: "QUEUED", messageId: `msg-${sentMessages.length}` });
        const sent = sentMessages[sentMessages.length - 1];
        expect(JSON.parse(sent.MessageBody)).to.deep.equal({ commit: "abc123" });
        expect(sent.QueueUrl).to.equal(`${sqs.url}/${ACCOUNT}/build-requests`);
        expect(endpointRequests, "HTTP requests to the sandbox's endpoint").to.equal(0);
    });

    it("rejects a body that breaks the model with 400 naming the problems, and queues nothing", async () => {
        const before = sentMessages.length;
        const response = await fetch(`${base}/builds`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ commit: "NOT HEX", extra: 1 }) });
        expect(response.status).to.equal(400);
        expect(response.headers.get("access-control-allow-origin")).to.equal("*");
        const body = await response.json() as { message: string; problems: string };
        expect(body.message).to.equal("Invalid request body");
        expect(body.problems).to.contain("\"extra\"").and.to.contain("/commit").and.to.contain("NOT HEX");
        const missing = await (await fetch(`${base}/builds`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" })).json() as { problems: string };
        expect(missing.problems).to.equal("[object has missing required properties ([\"commit\"])]");
        expect(sentMessages.length).to.equal(before);
    });

    it("answers 415 to a body that is not JSON on the SQS route (passthrough NEVER), and queues nothing", async () => {
        const before = sentMessages.length;
        const response = await fetch(`${base}/builds`, { method: "POST", headers: { "Content-Type": "text/plain" }, body: "commit=abc123" });
        expect(response.status).to.equal(415);
        expect(await response.json()).to.deep.equal({ message: "Unsupported Media Type: send the body as JSON with the header Content-Type: application/json" });
        expect(sentMessages.length).to.equal(before);
    });

    it("answers 403 Missing Authentication Token to unknown paths, methods and stages", async () => {
        for (const [url, method] of [[`${base}/nowhere`, "GET"], [`${base}/builds`, "GET"], [`${base.replace("/v1/", "/v2/")}/builds`, "POST"]]) {
            const response = await fetch(url, { method });
            expect(response.status, `${method} ${url}`).to.equal(403);
            expect(await response.json()).to.deep.equal({ message: "Missing Authentication Token" });
        }
    });

    it("answers 502 Internal server error when the function fails", async () => {
        const response = await fetch(`${base}/explodes`);
        expect(response.status).to.equal(502);
        expect(await response.json()).to.deep.equal({ message: "Internal server error" });
    });

    it("decodes a base64 proxy response to its bytes and labels it JSON when the function sets no Content-Type", async () => {
        const response = await fetch(`${base}/raw`);
        expect(response.status).to.equal(201);
        expect(response.headers.get("content-type")).to.equal("application/json");
        expect([...new Uint8Array(await response.arrayBuffer())]).to.deep.equal([0xff, 0x00, 0x01]);
    });

    it("answers the CORS preflight from the MOCK integration", async () => {
        const response = await fetch(`${base}/builds`, { method: "OPTIONS" });
        expect(response.status).to.equal(204);
        expect(response.headers.get("access-control-allow-methods")).to.equal("POST,OPTIONS");
        expect(response.headers.get("access-control-allow-origin")).to.equal("*");
    });

    it("leaves requests that are not API Gateway user requests to other services", async () => {
        const response = await fetch(`${sandbox.url}/000000000000/some-queue`);
        expect(response.status).to.equal(404);
    });
});
