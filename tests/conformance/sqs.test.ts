import { expect } from "chai";
import {
    ChangeMessageVisibilityCommand, CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ListQueuesCommand,
    PurgeQueueCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SetQueueAttributesCommand, SQSClient,
} from "@aws-sdk/client-sqs";
import { credentials, REGION, serve, TestSandbox } from "../e2e/sandbox-support";
import { aws, awsJson, requireAwsCli } from "./aws-cli";

describe("SQS as the AWS CLI (query protocol) and SDK v3 (JSON protocol) see it", function () {
    this.timeout(120000);
    let sandbox: TestSandbox;
    let endpoint: string;

    before(async () => {
        requireAwsCli();
        sandbox = await serve(() => []);
        endpoint = sandbox.endpoint;
    });

    after(async () => {
        await sandbox?.close();
    });

    it("creates, lists, finds and describes queues with the CLI, attribute counts included", async () => {
        const dlq = await awsJson(endpoint, "sqs", "create-queue", "--queue-name", "cli-jobs-dlq");
        expect(dlq.QueueUrl).to.equal(`${endpoint}/000000000000/cli-jobs-dlq`);
        const redrive = JSON.stringify({ deadLetterTargetArn: "arn:aws:sqs:us-east-1:000000000000:cli-jobs-dlq", maxReceiveCount: "1" });
        const queue = await awsJson(endpoint, "sqs", "create-queue", "--queue-name", "cli-jobs", "--attributes", JSON.stringify({ MaximumMessageSize: "1024", VisibilityTimeout: "60", RedrivePolicy: redrive }));
        expect((await awsJson(endpoint, "sqs", "list-queues", "--queue-name-prefix", "cli-jobs")).QueueUrls).to.have.members([dlq.QueueUrl, queue.QueueUrl]);
        expect(await awsJson(endpoint, "sqs", "get-queue-url", "--queue-name", "cli-jobs")).to.deep.equal({ QueueUrl: queue.QueueUrl });
        const all = (await awsJson(endpoint, "sqs", "get-queue-attributes", "--queue-url", queue.QueueUrl, "--attribute-names", "All")).Attributes;
        expect(all).to.include({ QueueArn: "arn:aws:sqs:us-east-1:000000000000:cli-jobs", MaximumMessageSize: "1024", VisibilityTimeout: "60", ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "0", ApproximateNumberOfMessagesDelayed: "0" });
        expect(JSON.parse(all.RedrivePolicy)).to.deep.include({ deadLetterTargetArn: "arn:aws:sqs:us-east-1:000000000000:cli-jobs-dlq" });
        const one = await awsJson(endpoint, "sqs", "get-queue-attributes", "--queue-url", queue.QueueUrl, "--attribute-names", "ApproximateNumberOfMessages", "MaximumMessageSize");
        expect(one).to.deep.equal({ Attributes: { ApproximateNumberOfMessages: "0", MaximumMessageSize: "1024" } });
        const missing = await aws(endpoint, "sqs", "get-queue-url", "--queue-name", "nope");
        expect(missing.code).to.not.equal(0);
        expect(missing.stderr).to.contain("AWS.SimpleQueueService.NonExistentQueue");
    });

    it("sends, receives with attributes, changes visibility, deletes, purges and redrives with the CLI", async () => {
        const url = `${endpoint}/000000000000/cli-jobs`;
        const sent = await awsJson(endpoint, "sqs", "send-message", "--queue-url", url, "--message-body", "build ünïcode 1",
            "--message-attributes", JSON.stringify({ kind: { DataType: "String", StringValue: "build" }, blob: { DataType: "Binary", BinaryValue: "AAEC" } }));
        expect(sent.MD5OfMessageBody).to.match(/^[0-9a-f]{32}$/);
        expect(sent.MD5OfMessageAttributes).to.match(/^[0-9a-f]{32}$/);
        const batch = await awsJson(endpoint, "sqs", "send-message-batch", "--queue-url", url, "--entries",
            JSON.stringify([{ Id: "small", MessageBody: "build 2" }, { Id: "large", MessageBody: "x".repeat(2000) }]));
        expect(batch.Successful.map((entry: any) => entry.Id)).to.deep.equal(["small"]);
        expect(batch.Failed).to.deep.equal([{ Id: "large", SenderFault: true, Code: "InvalidParameterValue", Message: "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes." }]);
        const tooLarge = await aws(endpoint, "sqs", "send-message", "--queue-url", url, "--message-body", "y".repeat(1100));
        expect(tooLarge.code).to.not.equal(0);
        expect(tooLarge.stderr).to.contain("Message must be shorter than 1024 bytes");
        const depth = await awsJson(endpoint, "sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "ApproximateNumberOfMessages");
        expect(depth.Attributes.ApproximateNumberOfMessages).to.equal("2");

        // The CLI checks MD5OfBody and MD5OfMessageAttributes of what it receives; a wrong digest fails the command.
        const received = await awsJson(endpoint, "sqs", "receive-message", "--queue-url", url, "--attribute-names", "All", "--message-attribute-names", "All", "--max-number-of-messages", "1");
        const message = received.Messages[0];
        expect(message.Body).to.equal("build ünïcode 1");
        expect(message.Attributes).to.include({ ApproximateReceiveCount: "1" });
        expect(message.MessageAttributes).to.deep.equal({ kind: { DataType: "String", StringValue: "build" }, blob: { DataType: "Binary", BinaryValue: "AAEC" } });
        const inFlight = await awsJson(endpoint, "sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible");
        expect(inFlight.Attributes).to.deep.equal({ ApproximateNumberOfMessages: "1", ApproximateNumberOfMessagesNotVisible: "1" });
        await awsJson(endpoint, "sqs", "delete-message", "--queue-url", url, "--receipt-handle", message.ReceiptHandle);

        // maxReceiveCount 1: once received and made visible again, the next receive moves it to the DLQ.
        const second = (await awsJson(endpoint, "sqs", "receive-message", "--queue-url", url)).Messages[0];
        expect(second.Body).to.equal("build 2");
        await awsJson(endpoint, "sqs", "change-message-visibility", "--queue-url", url, "--receipt-handle", second.ReceiptHandle, "--visibility-timeout", "0");
        expect(await awsJson(endpoint, "sqs", "receive-message", "--queue-url", url)).to.deep.equal({});
        const dlqUrl = `${endpoint}/000000000000/cli-jobs-dlq`;
        const dead = (await awsJson(endpoint, "sqs", "receive-message", "--queue-url", dlqUrl, "--attribute-names", "ApproximateReceiveCount")).Messages[0];
        expect([dead.Body, dead.Attributes]).to.deep.equal(["build 2", { ApproximateReceiveCount: "1" }]);

        await awsJson(endpoint, "sqs", "send-message", "--queue-url", url, "--message-body", "to purge");
        await awsJson(endpoint, "sqs", "purge-queue", "--queue-url", url);
        const purged = await awsJson(endpoint, "sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "ApproximateNumberOfMessages");
        expect(purged.Attributes.ApproximateNumberOfMessages).to.equal("0");
    });

    it("serves the same operations to SDK v3 over AWS JSON 1.0", async () => {
        const sqs = new SQSClient({ endpoint, region: REGION, credentials });
        const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "sdk-jobs", Attributes: { MaximumMessageSize: "1024" } }));
        expect((await sqs.send(new GetQueueUrlCommand({ QueueName: "sdk-jobs" }))).QueueUrl).to.equal(QueueUrl);
        expect((await sqs.send(new ListQueuesCommand({ QueueNamePrefix: "sdk-" }))).QueueUrls).to.deep.equal([QueueUrl]);
        const sent = await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: "a", MessageBody: "one", MessageAttributes: { n: { DataType: "Number", StringValue: "7" } } }, { Id: "b", MessageBody: "z".repeat(1025) }] }));
        expect([sent.Successful?.map(entry => entry.Id), sent.Failed?.map(entry => entry.Code)]).to.deep.equal([["a"], ["InvalidParameterValue"]]);
        const tooLarge = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "z".repeat(1025) })).catch(error => error);
        expect(tooLarge.name).to.equal("InvalidParameterValue");
        const [message] = (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ["SentTimestamp"], MessageAttributeNames: ["All"] }))).Messages ?? [];
        expect(message.Body).to.equal("one");
        expect(Object.keys(message.Attributes ?? {})).to.deep.equal(["SentTimestamp"]);
        expect(message.MessageAttributes).to.deep.equal({ n: { DataType: "Number", StringValue: "7" } });
        await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }));
        const again = (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ["ApproximateReceiveCount"] }))).Messages?.[0];
        expect(again?.Attributes).to.deep.equal({ ApproximateReceiveCount: "2" });
        await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: again!.ReceiptHandle }));
        await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "to purge" }));
        await sqs.send(new PurgeQueueCommand({ QueueUrl }));
        const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }));
        expect(Attributes).to.deep.equal({ ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "0" });
        const unknown = await sqs.send(new GetQueueUrlCommand({ QueueName: "nope" })).catch(error => error);
        expect(unknown.name).to.equal("QueueDoesNotExist");
    });

    it("changes a received message's visibility only as SQS allows: current handle, in flight, 0..43200 seconds", async () => {
        const sqs = new SQSClient({ endpoint, region: REGION, credentials });
        const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "sdk-visibility" }));
        await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "retry me" }));
        const receive = async () => (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ["ApproximateReceiveCount"] }))).Messages?.[0];
        const change = (ReceiptHandle: string | undefined, VisibilityTimeout: number) =>
            sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle, VisibilityTimeout })).then(() => "changed", (error: Error) => error.name);
        const first = await receive();
        expect(await change(first?.ReceiptHandle, 43201)).to.equal("InvalidParameterValue");
        expect(await change(first?.ReceiptHandle, -1)).to.equal("InvalidParameterValue");
        expect(await change("not-a-handle", 5)).to.equal("ReceiptHandleIsInvalid");
        expect(await change(first?.ReceiptHandle, 0)).to.equal("changed");
        expect(await change(first?.ReceiptHandle, 5)).to.equal("MessageNotInflight");
        const second = await receive();
        expect(second?.Attributes).to.deep.equal({ ApproximateReceiveCount: "2" });
        expect(await change(first?.ReceiptHandle, 0), "the first receive's handle").to.equal("InvalidParameterValue");
        expect(await change(second?.ReceiptHandle, 3600)).to.equal("changed");
        expect(await receive(), "hidden for an hour").to.equal(undefined);
        expect(await change(second?.ReceiptHandle, 0)).to.equal("changed");
        const third = await receive();
        expect(third?.Attributes).to.deep.equal({ ApproximateReceiveCount: "3" });
        await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: third!.ReceiptHandle }));
        expect(await change(third?.ReceiptHandle, 0), "a deleted message").to.equal("InvalidParameterValue");
    });

    it("refuses what SQS refuses or the sandbox does not implement: unknown attributes, values out of range, FIFO queues", async () => {
        const refusals: [string[], string][] = [
            [["create-queue", "--queue-name", "cli-odd", "--attributes", JSON.stringify({ VisibilityTimout: "60" })], "InvalidAttributeName"],
            [["create-queue", "--queue-name", "cli-odd", "--attributes", JSON.stringify({ DelaySeconds: "901" })], "InvalidAttributeValue"],
            [["create-queue", "--queue-name", "cli-orders.fifo", "--attributes", JSON.stringify({ FifoQueue: "true" })], "UnsupportedOperation"],
            [["set-queue-attributes", "--queue-url", `${endpoint}/000000000000/cli-jobs`, "--attributes", JSON.stringify({ MaximumMessageSize: "100" })], "InvalidAttributeValue"],
        ];
        for (const [args, code] of refusals) {
            const run = await aws(endpoint, "sqs", ...args);
            expect(run.code, args.join(" ")).to.not.equal(0);
            expect(run.stderr, args.join(" ")).to.contain(code);
        }
        expect((await awsJson(endpoint, "sqs", "list-queues", "--queue-name-prefix", "cli-o")).QueueUrls).to.equal(undefined);
        const url = `${endpoint}/000000000000/cli-jobs`;
        expect((await aws(endpoint, "sqs", "set-queue-attributes", "--queue-url", url, "--attributes", JSON.stringify({ MaximumMessageSize: "2048" }))).code).to.equal(0);
        const sqs = new SQSClient({ endpoint, region: REGION, credentials });
        const updated = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["MaximumMessageSize"] }));
        expect(updated.Attributes).to.deep.equal({ MaximumMessageSize: "2048" });
        await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { MaximumMessageSize: "1024" } }));
    });
});
