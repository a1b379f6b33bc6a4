import { expect } from "chai";
import { EventPipeline } from "../../components/event-pipeline";
import { RecordedResource } from "../../sandbox/mock-cloud";
import { archiveSize } from "../../sandbox/archive";
import { PROJECT_DIR } from "../support/program";
import { archiveOf, IamStatement, ofType, one, promiseOf, resourcesUnder, statementsOfRole } from "../support/pulumi";

const ACCOUNT = "123456789012";
const ARN = (service: string, resource: string) => `arn:aws:${service}:us-east-1:${ACCOUNT}:${resource}`;

describe("EventPipeline component", () => {
    const platform = { namePrefix: "unit", local: false };
    let pipeline: EventPipeline;
    let resources: RecordedResource[];

    const functionNamed = (name: string) => one(resources, "aws:lambda/function:Function", fn => fn.inputs.name === `unit-${name}`);
    const statementsOf = (name: string): [string | undefined, string[], string[]][] =>
        statementsOfRole(resources, functionNamed(name).inputs.role)
            .filter((s: IamStatement) => s.Sid !== "WriteOwnLogs" && s.Sid !== "WriteTraces")
            .map(s => [s.Sid, s.Action, s.Resource]);

    before(async () => {
        pipeline = new EventPipeline("evp", {
            platform,
            eventTtlDays: 7,
            eventRulePrefix: "incoming/",
            filterPolicy: { source: ["api"] },
        });
        await promiseOf(pipeline.apiUrl);
        resources = await resourcesUnder("evp");
    });

    it("has the component type token and exposes every output", async () => {
        expect(await promiseOf(pipeline.bucketName)).to.equal("unit-event-uploads");
        expect(await promiseOf(pipeline.topicArn)).to.equal(ARN("sns", "unit-events"));
        expect(await promiseOf(pipeline.tableName)).to.equal("unit-events");
        expect(await promiseOf(pipeline.queueUrl)).to.match(/unit-events-processing$/);
        expect(await promiseOf(pipeline.dlqUrl)).to.match(/unit-events-processing-dlq$/);
        expect(await promiseOf(pipeline.confirmationQueueUrl)).to.match(/unit-events-confirmations$/);
        expect(await promiseOf(pipeline.alertsTopicArn)).to.equal(ARN("sns", "unit-events-alerts"));
        expect(await promiseOf(pipeline.apiUrl)).to.match(/^https:\/\/.+\/v1$/);
        expect(one(resources, "serverless-pipelines:events:EventPipeline").name).to.equal("evp");
    });

    it("keeps object versions in the encrypted upload bucket", () => {
        expect(one(resources, "aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration).to.deep.equal({ status: "Enabled" });
        expect(one(resources, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm).to.equal("AES256");
    });

    it("sends ObjectCreated to the topic and to EventBridge from one notification", () => {
        const notification = one(resources, "aws:s3/bucketNotification:BucketNotification");
        expect(notification.inputs.bucket).to.equal("unit-event-uploads");
        expect(notification.inputs.eventbridge).to.equal(true);
        expect(notification.inputs.topics).to.deep.equal([{ topicArn: ARN("sns", "unit-events"), events: ["s3:ObjectCreated:*"] }]);
    });

    const denyWithoutTls = (topicArn: string) => ({
        Sid: "DenyPublishWithoutTls", Effect: "Deny", Principal: "*", Action: "sns:Publish", Resource: topicArn,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    const topicPolicyOf = (topicArn: string) => JSON.parse(one(resources, "aws:sns/topicPolicy:TopicPolicy", policy => policy.inputs.arn === topicArn).inputs.policy);

    it("lets only the bucket and the rule publish to the topic, over TLS only", () => {
        const rule = one(resources, "aws:cloudwatch/eventRule:EventRule");
        expect(topicPolicyOf(ARN("sns", "unit-events")).Statement).to.deep.equal([
            {
                Sid: "UploadBucketPublishes", Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sns:Publish",
                Resource: ARN("sns", "unit-events"),
                Condition: { ArnLike: { "aws:SourceArn": "arn:aws:s3:::unit-event-uploads" }, StringEquals: { "aws:SourceAccount": ACCOUNT } },
            },
            {
                Sid: "ObjectCreatedRulePublishes", Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sns:Publish",
                Resource: ARN("sns", "unit-events"), Condition: { ArnEquals: { "aws:SourceArn": rule.state.arn } },
            },
            denyWithoutTls(ARN("sns", "unit-events")),
        ]);
    });

    it("replaces the alerts topic's default policy: only this component's alarms publish, over TLS only", () => {
        const alarmArns = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm").map(alarm => alarm.state.arn);
        expect(alarmArns).to.have.length(6);
        const [publish, deny] = topicPolicyOf(ARN("sns", "unit-events-alerts")).Statement;
        expect(publish.Condition.ArnLike["aws:SourceArn"]).to.have.members(alarmArns);
        expect(publish).to.deep.equal({
            Sid: "AlarmsPublish", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: "sns:Publish",
            Resource: ARN("sns", "unit-events-alerts"),
            Condition: { ArnLike: { "aws:SourceArn": publish.Condition.ArnLike["aws:SourceArn"] }, StringEquals: { "aws:SourceAccount": ACCOUNT } },
        });
        expect(deny).to.deep.equal(denyWithoutTls(ARN("sns", "unit-events-alerts")));
    });

    it("encrypts both topics and the processing queue with a rotated key each publishing service may use only for its own source", () => {
        const key = one(resources, "aws:kms/key:Key");
        expect(key.inputs.enableKeyRotation).to.equal(true);
        const statements = JSON.parse(key.inputs.policy).Statement;
        const statement = (sid: string) => statements.find((s: { Sid: string }) => s.Sid === sid);
        const useKey = ["kms:Decrypt", "kms:GenerateDataKey*"];
        expect(statement("UploadBucketPublishesEncrypted")).to.deep.include({
            Principal: { Service: "s3.amazonaws.com" }, Action: useKey,
            Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnLike: { "aws:SourceArn": "arn:aws:s3:::unit-event-uploads" } },
        });
        expect(statement("TopicDeliversEncrypted")).to.deep.include({
            Principal: { Service: "sns.amazonaws.com" }, Action: useKey, Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
        });
        expect(statement("AlarmsPublishEncrypted")).to.deep.include({
            Principal: { Service: "cloudwatch.amazonaws.com" }, Action: useKey,
            Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnLike: { "aws:SourceArn": ARN("cloudwatch", "alarm:unit-*") } },
        });
        for (const alarm of ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm")) {
            expect(alarm.state.arn, alarm.name).to.match(/^arn:aws:cloudwatch:us-east-1:123456789012:alarm:unit-/);
        }
        // EventBridge may use the key without an aws:SourceAccount condition its requests could never satisfy.
        expect(statement("EventBridgePublishesEncrypted")).to.deep.include({ Principal: { Service: "events.amazonaws.com" }, Action: useKey });
        expect(statement("EventBridgePublishesEncrypted").Condition).to.equal(undefined);
        expect(statements.map((s: { Sid: string }) => s.Sid)).to.have.members([
            "AccountRootAdministers", "UploadBucketPublishesEncrypted", "TopicDeliversEncrypted", "AlarmsPublishEncrypted", "EventBridgePublishesEncrypted",
        ]);
        for (const topic of ofType(resources, "aws:sns/topic:Topic")) {
            expect(topic.inputs.kmsMasterKeyId, topic.name).to.equal(key.state.arn);
        }
        expect(one(resources, "aws:sqs/queue:Queue", q => q.inputs.name === "unit-events-processing").inputs.kmsMasterKeyId).to.equal(key.state.arn);
    });

    it("forwards Object Created under the configured prefix through an EventBridge rule targeting the topic", () => {
        const rule = one(resources, "aws:cloudwatch/eventRule:EventRule");
        expect(JSON.parse(rule.inputs.eventPattern)).to.deep.equal({
            source: ["aws.s3"], "detail-type": ["Object Created"],
            detail: { bucket: { name: ["unit-event-uploads"] }, object: { key: [{ prefix: "incoming/" }] } },
        });
        const target = one(resources, "aws:cloudwatch/eventTarget:EventTarget");
        expect(target.inputs).to.include({ rule: rule.state.name, arn: ARN("sns", "unit-events") });
    });

    it("subscribes the processing queue with raw delivery and the filter policy, allowed by a queue policy scoped to the topic", () => {
        const subscription = one(resources, "aws:sns/topicSubscription:TopicSubscription");
        expect(subscription.inputs).to.include({
            topic: ARN("sns", "unit-events"), protocol: "sqs", endpoint: ARN("sqs", "unit-events-processing"), rawMessageDelivery: true,
        });
        expect(JSON.parse(subscription.inputs.filterPolicy)).to.deep.equal({ source: ["api"] });
        const queuePolicy = one(resources, "aws:sqs/queuePolicy:QueuePolicy");
        expect(queuePolicy.inputs.queueUrl).to.equal(one(resources, "aws:sqs/queue:Queue", q => q.inputs.name === "unit-events-processing").state.url);
        expect(JSON.parse(queuePolicy.inputs.policy).Statement).to.deep.equal([{
            Sid: "EventTopicDelivers", Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage",
            Resource: ARN("sqs", "unit-events-processing"), Condition: { ArnEquals: { "aws:SourceArn": ARN("sns", "unit-events") } },
        }]);
    });

    it("moves processing messages to a 14-day DLQ after 3 receives", () => {
        const queue = one(resources, "aws:sqs/queue:Queue", q => q.inputs.name === "unit-events-processing");
        expect(JSON.parse(queue.inputs.redrivePolicy)).to.deep.equal({ deadLetterTargetArn: ARN("sqs", "unit-events-processing-dlq"), maxReceiveCount: 3 });
        expect(one(resources, "aws:sqs/queue:Queue", q => q.inputs.name === "unit-events-processing-dlq").inputs.messageRetentionSeconds).to.equal(14 * 86400);
    });

    it("feeds both queues to their functions with partial batch responses", () => {
        const mappings = ofType(resources, "aws:lambda/eventSourceMapping:EventSourceMapping")
            .map(m => [m.inputs.eventSourceArn, m.inputs.functionName, m.inputs.batchSize, m.inputs.functionResponseTypes]);
        expect(mappings).to.have.deep.members([
            [ARN("sqs", "unit-events-processing"), "unit-event-processor", 10, ["ReportBatchItemFailures"]],
            [ARN("sqs", "unit-events-confirmations"), "unit-confirmation-sender", 10, ["ReportBatchItemFailures"]],
        ]);
    });

    it("stores events in an encrypted table keyed by eventId with TTL on expiresAt, and passes the TTL days", () => {
        const table = one(resources, "aws:dynamodb/table:Table");
        expect(table.inputs).to.include({ name: "unit-events", hashKey: "eventId", billingMode: "PAY_PER_REQUEST" });
        expect(table.inputs.ttl).to.deep.equal({ attributeName: "expiresAt", enabled: true });
        expect(table.inputs.serverSideEncryption).to.deep.equal({ enabled: true });
        expect(functionNamed("event-processor").inputs.environment.variables).to.include({ EVENTS_TABLE: "unit-events", EVENT_TTL_DAYS: "7" });
    });

    it("gives each function only the actions its code calls, on its own resources", () => {
        const key = one(resources, "aws:kms/key:Key").state.arn;
        const table = ARN("dynamodb", "table/unit-events");
        const consume = ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"];
        expect(statementsOf("event-processor")).to.deep.equal([
            ["ConsumeProcessingQueue", consume, [ARN("sqs", "unit-events-processing")]],
            ["UseProcessingQueueKey", ["kms:Decrypt", "kms:GenerateDataKey"], [key]],
            ["StoreEventsOnce", ["dynamodb:DeleteItem", "dynamodb:PutItem"], [table]],
            ["QueueConfirmations", ["sqs:SendMessage"], [ARN("sqs", "unit-events-confirmations")]],
        ]);
        expect(statementsOf("confirmation-sender")).to.deep.equal([
            ["ConsumeConfirmationQueue", consume, [ARN("sqs", "unit-events-confirmations")]],
            ["ConfirmEvents", ["dynamodb:UpdateItem"], [table]],
        ]);
        expect(statementsOf("event-api")).to.deep.equal([
            ["PublishEvents", ["sns:Publish"], [ARN("sns", "unit-events")]],
            ["EncryptForTopic", ["kms:Decrypt", "kms:GenerateDataKey"], [key]],
        ]);
        expect(statementsOf("event-reader")).to.deep.equal([["ReadEvents", ["dynamodb:GetItem"], [table]]]);
    });

    it("routes POST /events (with a body model) and GET /events/{eventId} to their functions", () => {
        const methods = ofType(resources, "aws:apigateway/method:Method").filter(m => m.inputs.httpMethod !== "OPTIONS");
        expect(methods.map(m => m.inputs.httpMethod)).to.have.members(["POST", "GET"]);
        const model = one(resources, "aws:apigateway/model:Model");
        expect(JSON.parse(model.inputs.schema).required).to.deep.equal(["type"]);
        const permissions = ofType(resources, "aws:lambda/permission:Permission").map(p => p.inputs.function);
        expect(permissions).to.have.members(["unit-event-api", "unit-event-reader"]);
    });

    it("alarms on both DLQs and on every function's errors to the alerts topic", () => {
        const alarms = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm").map(a => [a.inputs.metricName, a.inputs.dimensions, a.inputs.threshold, a.inputs.comparisonOperator, a.inputs.alarmActions]);
        const alerts = [ARN("sns", "unit-events-alerts")];
        expect(alarms).to.have.deep.members([
            ["ApproximateNumberOfMessagesVisible", { QueueName: "unit-events-processing-dlq" }, 0, "GreaterThanThreshold", alerts],
            ["ApproximateNumberOfMessagesVisible", { QueueName: "unit-events-confirmations-dlq" }, 0, "GreaterThanThreshold", alerts],
            ...["event-processor", "confirmation-sender", "event-api", "event-reader"].map(fn =>
                ["Errors", { FunctionName: `unit-${fn}` }, 0, "GreaterThanThreshold", alerts]),
        ]);
    });

    it("keeps every function archive under 256 KiB", () => {
        for (const fn of ofType(resources, "aws:lambda/function:Function")) {
            const size = archiveSize(PROJECT_DIR, archiveOf(fn));
            console.log(`      ${fn.inputs.name}: ${size} bytes`);
            expect(size, fn.inputs.name).to.be.below(256 * 1024);
        }
    });
});
