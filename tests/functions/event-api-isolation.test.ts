import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { expect } from "chai";
import * as http from "http";
import type { AddressInfo } from "net";
import { renewedAfterFailure } from "../../functions/shared/sdk-clients";
import { loadArchiveHandler } from "../support/archive";
import { useRealSdkClients } from "../support/real-sdk-clients";
import { eventArchives, proxyEvent, TOPIC_ARN } from "./events-support";

type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/** A stand-in SNS endpoint (AWS query protocol) that records every request's form fields; `failNext(n)` answers the next n with 500. */
async function snsEndpoint(): Promise<{ url: string; requests: URLSearchParams[]; failNext: (count: number) => void; close: () => Promise<void> }> {
    const requests: URLSearchParams[] = [];
    let failing = 0;
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", chunk => chunks.push(chunk));
        req.on("end", () => {
            requests.push(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
            if (failing > 0) {
                failing--;
                res.writeHead(500, { "Content-Type": "text/xml" });
                res.end("<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code><Message>boom</Message></Error><RequestId>r</RequestId></ErrorResponse>");
                return;
            }
            res.writeHead(200, { "Content-Type": "text/xml" });
            res.end(`<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-${requests.length}</MessageId></PublishResult>`
                + "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>");
        });
    });
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests,
        failNext: count => { failing = count; },
        close: () => new Promise(resolve => server.close(() => resolve())),
    };
}

const publishOf = (type: string) => new PublishCommand({
    TopicArn: TOPIC_ARN, Message: JSON.stringify({ type }), MessageAttributes: { eventType: { DataType: "String", StringValue: type } },
});

describe("event-api: no request changes what a later one does (real SNS client, warm function)", () => {
    let sns: Awaited<ReturnType<typeof snsEndpoint>>;
    let publish: ProxyHandler;
    let handBackStubs: () => void;
    const settings = ["AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];
    const saved = Object.fromEntries(settings.map(name => [name, process.env[name]]));

    before(async () => {
        handBackStubs = useRealSdkClients([SNSClient]);
        sns = await snsEndpoint();
        const archives = await eventArchives("fnevisolation");
        publish = loadArchiveHandler<ProxyHandler>(archives["event-api"], {
            EVENT_TOPIC_ARN: TOPIC_ARN, AWS_ENDPOINT_URL: sns.url, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test",
        });
    });
    after(async () => {
        for (const name of settings) {
            if (saved[name] === undefined) {
                delete process.env[name];
            } else {
                process.env[name] = saved[name];
            }
        }
        await sns.close();
        handBackStubs();
    });

    /** Sends a poison request, then a valid one, and checks that exactly the valid one's event was published. */
    async function poisonThenValid(poison: APIGatewayProxyEvent, expectedStatus = 400): Promise<void> {
        const before = sns.requests.length;
        const refused = await publish(poison);
        expect(refused.statusCode).to.equal(expectedStatus);
        expect(JSON.parse(refused.body).problems.join("\n")).to.match(/lone UTF-16 surrogate/);
        const valid = await publish(proxyEvent(JSON.stringify({ type: "order.created", subject: "order-7", payload: { amount: 7 } })));
        expect(valid.statusCode).to.equal(202);
        const { eventId } = JSON.parse(valid.body);
        const sent = sns.requests.slice(before).filter(form => form.get("Action") === "Publish");
        const messages = sent.flatMap(form => form.getAll("Message").map(message => JSON.parse(message)));
        expect(messages.at(-1)).to.deep.include({ eventId, type: "order.created", subject: "order-7", payload: { amount: 7 } });
        expect(sent.at(-1)!.getAll("Message"), "the last publish carries only its own message").to.have.length(1);
        expect(sent.at(-1)!.getAll("MessageAttributes.entry.2.Value.StringValue")).to.deep.equal(["order.created"]);
    }

    for (const [where, body] of [
        ["type", { type: "bad\ud800" }],
        ["subject", { type: "t", subject: "\udc00tail" }],
        ["a payload value", { type: "t", payload: { note: "x\ud83d" } }],
        ["a payload key", { type: "t", payload: { ["k\udfff"]: 1 } }],
    ] as const) {
        it(`a lone surrogate in ${where} gets 400 naming it, publishes nothing, and the next request publishes its own event`, async () => {
            const before = sns.requests.length;
            await poisonThenValid(proxyEvent(JSON.stringify(body)));
            expect(sns.requests.length - before, "only the valid request reached SNS").to.equal(1);
        });
    }

    it("a publish that SNS refuses gets 503, and the next request publishes its own event only", async () => {
        // The SDK retries a 500 twice (standard retry mode, 3 attempts).
        sns.failNext(3);
        const refused = await publish(proxyEvent(JSON.stringify({ type: "will.fail" })));
        expect(refused.statusCode).to.equal(503);
        expect(JSON.parse(refused.body).message).to.match(/could not be published/);
        const before = sns.requests.length;
        await poisonThenValid(proxyEvent(JSON.stringify({ type: "also\ud800bad" })));
        expect(sns.requests.length - before).to.equal(1);
    });

    it("the SDK's query serializer keeps a failed body and sends it with the next request (why event-api renews its client)", async () => {
        const client = new SNSClient({ endpoint: sns.url, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
        const before = sns.requests.length;
        await client.send(publishOf("lone\ud800")).then(() => expect.fail("a lone surrogate cannot be URL-encoded"), (error: Error) => expect(error.name).to.equal("URIError"));
        await client.send(publishOf("next"));
        client.destroy();
        expect(sns.requests.slice(before)[0].getAll("Message")).to.have.length(2);
    });

    it("renewedAfterFailure: after a call fails inside the SDK, the next call is serialized by a new client", async () => {
        const withSns = renewedAfterFailure(() => new SNSClient({ endpoint: sns.url, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } }));
        const before = sns.requests.length;
        await withSns(client => client.send(publishOf("lone\ud800"))).then(() => expect.fail("expected a URIError"), (error: Error) => expect(error.name).to.equal("URIError"));
        await withSns(client => client.send(publishOf("next")));
        await withSns(client => client.send(publishOf("after")));
        const sent = sns.requests.slice(before);
        expect(sent.map(form => form.getAll("Message"))).to.deep.equal([[JSON.stringify({ type: "next" })], [JSON.stringify({ type: "after" })]]);
    });
});
