import { expect } from "chai";
import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { ACCOUNT, credentials, eventually, functionResource, queueResource, recorded, REGION, serve, TestSandbox } from "./sandbox-support";

const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;

/** A queue policy letting a service deliver to the queue for one source, which AWS requires of every delivery to a queue. */
function deliveryPolicy(endpoint: string, queue: string, service: string, sourceArn: string) {
    return recorded("aws:sqs/queuePolicy:QueuePolicy", `${queue}-policy`, {
        queueUrl: `${endpoint}/${ACCOUNT}/${queue}`,
        policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sqs:SendMessage", Resource: arn("sqs", queue), Condition: { ArnEquals: { "aws:SourceArn": sourceArn } } }] }),
    });
}

const REPORTS_FAILED_BODIES = `exports.handler = async event => ({ batchItemFailures: event.Records.filter(r => r.body.startsWith("fail")).map(r => ({ itemIdentifier: r.messageId })) });`;
const THROWS_ON_FAILED_BODY = `exports.handler = async event => { if (event.Records.some(r => r.body.startsWith("fail"))) throw new Error("batch rejected"); };`;
const SLEEPS = `exports.handler = () => new Promise(resolve => setTimeout(resolve, 10000));`;
const TIMES_ITSELF = `exports.handler = async () => { const start = Date.now(); await new Promise(resolve => setTimeout(resolve, 200)); return { start, end: Date.now() }; };`;
const ECHO = `exports.handler = async event => event;`;
const ALWAYS_THROWS = `exports.handler = async () => { throw new TypeError("boom"); };`;

describe("sandbox core services and wiring", function () {
    this.timeout(30000);
    let sandbox: TestSandbox;
    let sqs: SQSClient;

    before(async () => {
        sandbox = await serve(endpoint => [
            // At time scale 0.1 a failed message is visible again after 1.8 s, later than its consumer's 1 s timeout (Lambda timeouts are real time).
            queueResource(endpoint, "partial", { visibilityTimeoutSeconds: 18, redrivePolicy: JSON.stringify({ deadLetterTargetArn: arn("sqs", "partial-dlq"), maxReceiveCount: 2 }) }),
            queueResource(endpoint, "partial-dlq"),
            queueResource(endpoint, "whole", { visibilityTimeoutSeconds: 18, redrivePolicy: JSON.stringify({ deadLetterTargetArn: arn("sqs", "whole-dlq"), maxReceiveCount: 1 }) }),
            queueResource(endpoint, "whole-dlq"),
            queueResource(endpoint, "hasty", { visibilityTimeoutSeconds: 2 }),
            queueResource(endpoint, "uploads-events"),
            deliveryPolicy(endpoint, "uploads-events", "s3.amazonaws.com", "arn:aws:s3:::uploads"),
            queueResource(endpoint, "alerts-copy"),
            deliveryPolicy(endpoint, "alerts-copy", "sns.amazonaws.com", arn("sns", "alerts")),
            functionResource("reports-failures", REPORTS_FAILED_BODIES, { timeout: 1 }),
            functionResource("throws-on-failed-body", THROWS_ON_FAILED_BODY, { timeout: 1 }),
            functionResource("always-throws", ALWAYS_THROWS),
            functionResource("sleeps", SLEEPS, { timeout: 1 }),
            functionResource("echo", ECHO),
            functionResource("one-at-a-time", TIMES_ITSELF, { reservedConcurrentExecutions: 1 }),
            recorded("aws:s3/bucket:Bucket", "permitted", { bucket: "permitted" }),
            recorded("aws:s3/bucket:Bucket", "unpermitted", { bucket: "unpermitted" }),
            recorded("aws:lambda/permission:Permission", "permitted-invoke", { action: "lambda:InvokeFunction", function: "echo", principal: "s3.amazonaws.com", sourceArn: "arn:aws:s3:::permitted" }),
            ...["permitted", "unpermitted"].map(bucket => recorded("aws:s3/bucketNotification:BucketNotification", `${bucket}-notification`, {
                bucket, lambdaFunctions: [{ lambdaFunctionArn: arn("lambda", "function:echo"), events: ["s3:ObjectCreated:*"] }],
            })),
            recorded("aws:lambda/eventSourceMapping:EventSourceMapping", "partial-esm", { eventSourceArn: arn("sqs", "partial"), functionName: arn("lambda", "function:reports-failures"), batchSize: 10, functionResponseTypes: ["ReportBatchItemFailures"] }),
            recorded("aws:lambda/eventSourceMapping:EventSourceMapping", "whole-esm", { eventSourceArn: arn("sqs", "whole"), functionName: "throws-on-failed-body", batchSize: 10 }),
            recorded("aws:lambda/eventSourceMapping:EventSourceMapping", "hasty-esm", { eventSourceArn: arn("sqs", "hasty"), functionName: "echo", batchSize: 10 }),
            recorded("aws:s3/bucket:Bucket", "uploads", { bucket: "uploads" }),
            recorded("aws:s3/bucketNotification:BucketNotification", "uploads-notification", {
                bucket: "uploads", queues: [{ queueArn: arn("sqs", "uploads-events"), events: ["s3:ObjectCreated:*"], filterPrefix: "in/", filterSuffix: ".txt" }],
            }),
            queueResource(endpoint, "bus-copy"),
            deliveryPolicy(endpoint, "bus-copy", "events.amazonaws.com", arn("events", "rule/bus-rule")),
            recorded("aws:s3/bucket:Bucket", "bus-bucket", { bucket: "bus-bucket" }),
            recorded("aws:s3/bucketNotification:BucketNotification", "bus-bucket-notification", { bucket: "bus-bucket", eventbridge: true }),
            recorded("aws:cloudwatch/eventRule:EventRule", "bus-rule", { name: "bus-rule", eventPattern: JSON.stringify({ source: ["aws.s3"], "detail-type": ["Object Created"], detail: { bucket: { name: ["bus-bucket"] }, object: { key: [{ prefix: "uploads/" }] } } }) }),
            recorded("aws:cloudwatch/eventTarget:EventTarget", "bus-rule-target", { rule: "bus-rule", arn: arn("sqs", "bus-copy") }),
            recorded("aws:dynamodb/table:Table", "orders", { name: "orders", hashKey: "orderId", attributes: [{ name: "orderId", type: "S" }], billingMode: "PAY_PER_REQUEST" }),
            recorded("aws:sns/topic:Topic", "alerts", { name: "alerts" }, { arn: arn("sns", "alerts") }),
            recorded("aws:sns/topicSubscription:TopicSubscription", "alerts-copy-sub", {
                topic: arn("sns", "alerts"), protocol: "sqs", endpoint: arn("sqs", "alerts-copy"), filterPolicy: JSON.stringify({ severity: ["high", { prefix: "crit" }] }),
            }, { arn: `${arn("sns", "alerts")}:sub1` }),
        ], 0.1);
        sqs = new SQSClient({ endpoint: sandbox.endpoint, region: REGION, credentials });
    });

    after(async () => {
        await sandbox?.close();
    });

    const queueUrl = (name: string) => `${sandbox.endpoint}/${ACCOUNT}/${name}`;
    /** Receives and deletes: a message read by one test must not come back to the next one when its visibility ends. */
    const receiveBodies = async (name: string) => {
        const messages = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl(name), MaxNumberOfMessages: 10 }))).Messages ?? [];
        await Promise.all(messages.map(message => sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl(name), ReceiptHandle: message.ReceiptHandle }))));
        return messages.map(message => message.Body);
    };
    const depth = async (name: string) => {
        const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl(name), AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }));
        return Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible);
    };

    /** Runs the function once so the batch under test finds it initialized: a cold start is not bounded by the function's timeout. */
    const warm = async (functionName: string) => {
        const response = await fetch(`${sandbox.endpoint}/2015-03-31/functions/${functionName}/invocations`, { method: "POST", body: JSON.stringify({ Records: [] }) });
        expect(response.headers.get("x-amz-function-error")).to.equal(null);
    };

    it("returns only the reported batch item failures to the queue and redrives them to the DLQ after maxReceiveCount", async () => {
        await warm("reports-failures");
        const invocationsBefore = sandbox.events.filter(event => event.kind === "invoke" && event.message.startsWith("reports-failures ")).length;
        await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl("partial"), Entries: [{ Id: "1", MessageBody: "ok-1" }, { Id: "2", MessageBody: "fail-1" }] }));
        await eventually("the failed message in partial-dlq", async () => (await depth("partial-dlq")) === 1 ? true : undefined, 20000);
        expect(await depth("partial")).to.equal(0);
        const dlqMessage = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl("partial-dlq"), MessageSystemAttributeNames: ["ApproximateReceiveCount"] }))).Messages?.[0];
        expect(dlqMessage?.Body).to.equal("fail-1");
        const invocations = sandbox.events.filter(event => event.kind === "invoke" && event.message.startsWith("reports-failures "));
        expect(invocations).to.have.length(invocationsBefore + 2);
    });

    it("returns the whole batch to the queue when the handler throws without ReportBatchItemFailures", async () => {
        await warm("throws-on-failed-body");
        await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl("whole"), Entries: [{ Id: "1", MessageBody: "fine" }, { Id: "2", MessageBody: "fail" }] }));
        await eventually("both messages in whole-dlq", async () => (await depth("whole-dlq")) === 2 ? true : undefined, 20000);
        expect((await receiveBodies("whole-dlq")).sort()).to.deep.equal(["fail", "fine"]);
    });

    it("leaves a queue whose visibility timeout is shorter than its function's timeout unconnected, as Lambda refuses the mapping", () => {
        expect(sandbox.events.map(event => event.message)).to.include("event source mapping hasty-esm not deployed: Queue visibility timeout: 2 seconds is less than Function timeout: 30 seconds");
    });

    it("answers SendMessage with the body's MD5, an unknown queue with QueueDoesNotExist and a non-string body with InvalidParameterValue", async () => {
        const sent = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl("alerts-copy"), MessageBody: "hello" }));
        expect(sent.MD5OfMessageBody).to.equal("5d41402abc4b2a76b9719d911017c592");
        expect(await receiveBodies("alerts-copy")).to.deep.equal(["hello"]);
        const error = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl("missing"), MessageBody: "x" })).catch(e => e);
        expect(error.name).to.equal("QueueDoesNotExist");
        const notText = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl("alerts-copy"), MessageBody: { orderId: "o-1" } as unknown as string })).catch(e => e);
        expect(notText.name).to.equal("InvalidParameterValue");
    });

    it("retries a failing event invocation twice, like Lambda", async () => {
        const response = await fetch(`${sandbox.endpoint}/2015-03-31/functions/always-throws/invocations`, { method: "POST", headers: { "x-amz-invocation-type": "Event" }, body: "{}" });
        expect(response.status).to.equal(202);
        await eventually("the retries to give up", () => sandbox.events.some(event => event.kind === "error" && event.message.includes("always-throws")) ? true : undefined);
        const attempts = sandbox.events.filter(event => event.kind === "invoke" && event.message.startsWith("always-throws failed"));
        expect(attempts).to.have.length(3);
        expect(attempts[0].message).to.contain("TypeError: boom");
    });

    it("reports a synchronous invocation's error as a function error with its type", async () => {
        const response = await fetch(`${sandbox.endpoint}/2015-03-31/functions/always-throws/invocations`, { method: "POST", body: "{}" });
        expect(response.headers.get("x-amz-function-error")).to.equal("Unhandled");
        expect(await response.json()).to.deep.equal({ errorType: "TypeError", errorMessage: "boom" });
        const missing = await fetch(`${sandbox.endpoint}/2015-03-31/functions/nope/invocations`, { method: "POST", body: "{}" });
        expect([missing.status, missing.headers.get("x-amzn-errortype")]).to.deep.equal([404, "ResourceNotFoundException"]);
    });

    it("stops a function at its timeout with Lambda's message", async () => {
        const response = await fetch(`${sandbox.endpoint}/2015-03-31/functions/sleeps/invocations`, { method: "POST", body: "{}" });
        expect(await response.json()).to.deep.equal({ errorType: "Sandbox.Timedout", errorMessage: "Task timed out after 1.00 seconds" });
    });

    it("runs no more instances of a function than its reserved concurrency at once", async () => {
        const invoke = async () => (await fetch(`${sandbox.endpoint}/2015-03-31/functions/one-at-a-time/invocations`, { method: "POST", body: "{}" })).json() as Promise<{ start: number; end: number }>;
        const [first, second] = (await Promise.all([invoke(), invoke()])).sort((a, b) => a.start - b.start);
        expect(second.start).to.be.at.least(first.end);
    });

    it("notifies with keys URL-encoded as S3 does, only for keys passing the prefix and suffix filters", async () => {
        const s3 = new S3Client({ endpoint: sandbox.endpoint, region: REGION, credentials, forcePathStyle: true });
        for (const key of ["out/skip.txt", "in/skip.csv", "in/my file+(1).txt"]) {
            await s3.send(new PutObjectCommand({ Bucket: "uploads", Key: key, Body: "content" }));
        }
        const bodies = await eventually("an S3 event in uploads-events", async () => {
            const received = await receiveBodies("uploads-events");
            return received.length > 0 ? received : undefined;
        });
        expect(bodies).to.have.length(1);
        const record = JSON.parse(bodies[0]!).Records[0];
        expect(record.eventName).to.equal("ObjectCreated:Put");
        expect(record.s3.object).to.include({ key: "in/my+file%2B%281%29.txt", size: 7 });
        const object = await s3.send(new GetObjectCommand({ Bucket: "uploads", Key: "in/my file+(1).txt" }));
        expect(await object.Body?.transformToString()).to.equal("content");
    });

    it("invokes a function from S3 only when a permission lets s3.amazonaws.com invoke it for that bucket", async () => {
        const s3 = new S3Client({ endpoint: sandbox.endpoint, region: REGION, credentials, forcePathStyle: true });
        expect(sandbox.events.map(event => event.message)).to.include.members([
            `s3 notification unpermitted -> ${arn("lambda", "function:echo")} not deployed: Unable to validate the destination configuration (no lambda:InvokeFunction permission for s3.amazonaws.com)`,
        ]);
        await s3.send(new PutObjectCommand({ Bucket: "unpermitted", Key: "a", Body: "x" }));
        await s3.send(new PutObjectCommand({ Bucket: "permitted", Key: "a", Body: "x" }));
        await eventually("echo to run", () => sandbox.events.some(event => event.message.startsWith("echo ok")) ? true : undefined);
        expect(sandbox.events.filter(event => event.message.startsWith("s3 ")).map(event => event.message.split(" ").slice(0, 2).join(" "))).to.not.include("s3 unpermitted/a");
    });

    it("routes S3 Object Created events through EventBridge rules matching on exact values and key prefix", async () => {
        const s3 = new S3Client({ endpoint: sandbox.endpoint, region: REGION, credentials, forcePathStyle: true });
        await s3.send(new PutObjectCommand({ Bucket: "bus-bucket", Key: "elsewhere/a.txt", Body: "x" }));
        await s3.send(new PutObjectCommand({ Bucket: "bus-bucket", Key: "uploads/b.txt", Body: "xy" }));
        const bodies = await eventually("an EventBridge event in bus-copy", async () => {
            const received = await receiveBodies("bus-copy");
            return received.length > 0 ? received : undefined;
        });
        expect(bodies).to.have.length(1);
        const event = JSON.parse(bodies[0]!);
        expect(event).to.include({ source: "aws.s3", "detail-type": "Object Created", account: ACCOUNT, region: REGION });
        expect(event.detail.object).to.include({ key: "uploads/b.txt", size: 2 });
    });

    it("keeps SQS message attributes and counts receives in ApproximateReceiveCount", async () => {
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl("bus-copy"), MessageBody: "with attributes", MessageAttributes: { kind: { DataType: "String", StringValue: "test" } } }));
        const receive = () => sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl("bus-copy"), MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["ApproximateReceiveCount"], VisibilityTimeout: 0 }));
        const first = (await receive()).Messages?.[0];
        const second = (await receive()).Messages?.[0];
        expect(first?.MessageAttributes).to.deep.equal({ kind: { DataType: "String", StringValue: "test" } });
        expect([first?.Attributes?.ApproximateReceiveCount, second?.Attributes?.ApproximateReceiveCount]).to.deep.equal(["1", "2"]);
    });

    it("answers S3 conditional writes and missing objects and buckets with S3's error codes", async () => {
        const s3 = new S3Client({ endpoint: sandbox.endpoint, region: REGION, credentials, forcePathStyle: true });
        await s3.send(new PutObjectCommand({ Bucket: "uploads", Key: "once", Body: "1", IfNoneMatch: "*" }));
        const conflict = await s3.send(new PutObjectCommand({ Bucket: "uploads", Key: "once", Body: "2", IfNoneMatch: "*" })).catch(e => e);
        expect(conflict.name).to.equal("PreconditionFailed");
        expect((await s3.send(new GetObjectCommand({ Bucket: "uploads", Key: "absent" })).catch(e => e)).name).to.equal("NoSuchKey");
        expect((await s3.send(new GetObjectCommand({ Bucket: "no-bucket", Key: "k" })).catch(e => e)).name).to.equal("NoSuchBucket");
    });

    it("lists objects under a prefix, rolling deeper keys up into common prefixes at the delimiter", async () => {
        const s3 = new S3Client({ endpoint: sandbox.endpoint, region: REGION, credentials, forcePathStyle: true });
        for (const key of ["list/a.txt", "list/deep/b.txt", "list/deep/c.txt", "other/d.txt"]) {
            await s3.send(new PutObjectCommand({ Bucket: "bus-bucket", Key: key, Body: "x" }));
        }
        const listed = await s3.send(new ListObjectsV2Command({ Bucket: "bus-bucket", Prefix: "list/", Delimiter: "/" }));
        expect(listed.Contents?.map(object => object.Key)).to.deep.equal(["list/a.txt"]);
        expect(listed.CommonPrefixes?.map(item => item.Prefix)).to.deep.equal(["list/deep/"]);
        const all = await s3.send(new ListObjectsV2Command({ Bucket: "bus-bucket", Prefix: "list/" }));
        expect(all.Contents?.map(object => object.Key)).to.deep.equal(["list/a.txt", "list/deep/b.txt", "list/deep/c.txt"]);
    });

    it("rejects a second conditional put in DynamoDB with ConditionalCheckFailedException", async () => {
        const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: sandbox.endpoint, region: REGION, credentials }));
        const put = () => documents.send(new PutCommand({ TableName: "orders", Item: { orderId: "o-1" }, ConditionExpression: "attribute_not_exists(orderId)" }));
        await put();
        const error = await put().catch(e => e);
        expect(error).to.be.instanceOf(ConditionalCheckFailedException);
    });

    it("delivers SNS messages to SQS in the notification envelope only when the filter policy matches", async () => {
        const sns = new SNSClient({ endpoint: sandbox.endpoint, region: REGION, credentials });
        const publish = (severity: string, message: string) => sns.send(new PublishCommand({ TopicArn: arn("sns", "alerts"), Message: message, Subject: "alert", MessageAttributes: { severity: { DataType: "String", StringValue: severity } } }));
        await publish("low", "ignored");
        await publish("critical", "paged");
        const bodies = await eventually("an SNS notification in alerts-copy", async () => {
            const received = await receiveBodies("alerts-copy");
            return received.length > 0 ? received : undefined;
        });
        expect(bodies).to.have.length(1);
        expect(JSON.parse(bodies[0]!)).to.include({ Type: "Notification", TopicArn: arn("sns", "alerts"), Subject: "alert", Message: "paged" });
        const missing = await sns.send(new PublishCommand({ TopicArn: arn("sns", "nope"), Message: "x" })).catch(e => e);
        expect(missing.name).to.equal("NotFoundException");
    });
});
