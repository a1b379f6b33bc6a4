import { expect } from "chai";
import { eventually, functionResource, queueResource, recorded, serve, TestSandbox } from "../e2e/sandbox-support";
import { awsJson, requireAwsCli } from "./aws-cli";

const TOPIC = "arn:aws:sns:us-east-1:000000000000:alerts";
const queueArn = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;
// Succeeds only for an SNS event carrying the published message, so its "ok" in the log is the delivery check.
const CHECKS_SNS_EVENT = `exports.handler = async event => { const sns = event.Records[0].Sns; if (sns.Message !== "disk full" || sns.Subject !== "ops") throw new Error(JSON.stringify(event)); };`;

describe("SNS as the AWS CLI sees it: subscribe, list, publish, unsubscribe", function () {
    this.timeout(120000);
    let sandbox: TestSandbox;
    let endpoint: string;

    before(async () => {
        requireAwsCli();
        sandbox = await serve(url => [
            recorded("aws:sns/topic:Topic", "alerts", { name: "alerts" }, { arn: TOPIC }),
            queueResource(url, "alerts-raw"), queueResource(url, "alerts-enveloped"),
            functionResource("alerts-handler", CHECKS_SNS_EVENT),
            // SNS delivers only where the queue's policy and the function's permissions let it, for this topic (as on AWS).
            ...["alerts-raw", "alerts-enveloped"].map(queue => recorded("aws:sqs/queuePolicy:QueuePolicy", `${queue}-policy`, {
                queueUrl: `${url}/000000000000/${queue}`,
                policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage", Resource: queueArn(queue), Condition: { ArnEquals: { "aws:SourceArn": TOPIC } } }] }),
            })),
            recorded("aws:lambda/permission:Permission", "alerts-handler-invoke", { action: "lambda:InvokeFunction", function: "alerts-handler", principal: "sns.amazonaws.com", sourceArn: TOPIC }),
        ]);
        endpoint = sandbox.endpoint;
    });

    after(async () => {
        await sandbox?.close();
    });

    const receiveBody = async (queue: string) => (await awsJson(endpoint, "sqs", "receive-message", "--queue-url", `${endpoint}/000000000000/${queue}`, "--wait-time-seconds", "2")).Messages?.[0]?.Body;

    it("delivers raw and enveloped to SQS and to Lambda, lists the subscriptions, and stops after unsubscribe", async () => {
        const raw = await awsJson(endpoint, "sns", "subscribe", "--topic-arn", TOPIC, "--protocol", "sqs", "--notification-endpoint", queueArn("alerts-raw"), "--attributes", "RawMessageDelivery=true");
        await awsJson(endpoint, "sns", "subscribe", "--topic-arn", TOPIC, "--protocol", "sqs", "--notification-endpoint", queueArn("alerts-enveloped"));
        await awsJson(endpoint, "sns", "subscribe", "--topic-arn", TOPIC, "--protocol", "lambda", "--notification-endpoint", "arn:aws:lambda:us-east-1:000000000000:function:alerts-handler");
        expect(raw.SubscriptionArn).to.match(new RegExp(`^${TOPIC}:[0-9a-f-]{36}$`));
        const byTopic = await awsJson(endpoint, "sns", "list-subscriptions-by-topic", "--topic-arn", TOPIC);
        expect(byTopic.Subscriptions.map((item: any) => `${item.Protocol} ${item.Endpoint}`)).to.deep.equal([
            `sqs ${queueArn("alerts-raw")}`, `sqs ${queueArn("alerts-enveloped")}`, "lambda arn:aws:lambda:us-east-1:000000000000:function:alerts-handler",
        ]);
        expect((await awsJson(endpoint, "sns", "list-subscriptions")).Subscriptions).to.have.length(3);
        const attributes = await awsJson(endpoint, "sns", "get-subscription-attributes", "--subscription-arn", raw.SubscriptionArn);
        expect(attributes.Attributes).to.include({ RawMessageDelivery: "true", Protocol: "sqs", TopicArn: TOPIC });

        const published = await awsJson(endpoint, "sns", "publish", "--topic-arn", TOPIC, "--message", "disk full", "--subject", "ops");
        expect(published.MessageId).to.match(/^[0-9a-f-]{36}$/);
        expect(await receiveBody("alerts-raw")).to.equal("disk full");
        expect(JSON.parse(await receiveBody("alerts-enveloped"))).to.include({ Type: "Notification", TopicArn: TOPIC, Subject: "ops", Message: "disk full", MessageId: published.MessageId });
        await eventually("the Lambda subscriber to run", () => sandbox.events.some(event => event.message.startsWith("alerts-handler ok")) ? true : undefined);

        await awsJson(endpoint, "sns", "unsubscribe", "--subscription-arn", raw.SubscriptionArn);
        expect((await awsJson(endpoint, "sns", "list-subscriptions-by-topic", "--topic-arn", TOPIC)).Subscriptions).to.have.length(2);
        await awsJson(endpoint, "sns", "publish", "--topic-arn", TOPIC, "--message", "second", "--subject", "ops");
        expect(JSON.parse(await receiveBody("alerts-enveloped")).Message).to.equal("second");
        expect(await receiveBody("alerts-raw")).to.equal(undefined);
    });
});
