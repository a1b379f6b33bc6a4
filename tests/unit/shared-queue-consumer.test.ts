import { expect } from "chai";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LambdaFunction } from "../../components/shared/lambda-function";
import { QueueConsumer } from "../../components/shared/queue-consumer";
import { RecordedResource } from "../../sandbox/mock-cloud";
import { one, promiseOf, resourcesUnder } from "../support/pulumi";

function noopFactory() {
    return async () => ({ batchItemFailures: [] });
}

/** The URNs a resource is also known by: its `aliases` option resolved by the SDK (Pulumi keeps them on the resource). */
function aliasUrns(resource: pulumi.Resource): Promise<string[]> {
    const aliases = (resource as unknown as { __aliases: pulumi.Output<string>[] }).__aliases;
    return Promise.all(aliases.map(promiseOf));
}

describe("shared QueueConsumer", () => {
    const platform = { namePrefix: "unit", local: false };
    const urn = (typeChain: string, name: string) => `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${typeChain}::${name}`;
    let owner: pulumi.ComponentResource;
    let work: QueueConsumer;
    let plain: QueueConsumer;
    let mapping: aws.lambda.EventSourceMapping;
    let dlqMapping: aws.lambda.EventSourceMapping;
    let alarm: aws.cloudwatch.MetricAlarm;
    let resources: RecordedResource[];

    before(async () => {
        owner = new pulumi.ComponentResource("serverless-pipelines:test:Owner", "qc-unit");
        work = new QueueConsumer("qc-unit-work", { platform, queueName: "work", kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/k" }, { parent: owner });
        plain = new QueueConsumer("qc-unit-plain", { platform, queueName: "plain" }, { parent: owner });
        const consumer = new LambdaFunction("qc-unit-consumer", { platform, functionName: "qc-consumer", handlerFactory: noopFactory }, { parent: owner });
        mapping = work.subscribe("qc-unit-work-source", consumer, { batchSize: 5 });
        dlqMapping = work.subscribe("qc-unit-dlq-source", consumer, { from: "dlq" });
        alarm = work.dlqDepthAlarm("qc-unit-dlq-alarm", { name: "unit-work-dlq-depth", alarmDescription: "work DLQ" });
        resources = await resourcesUnder("qc-unit");
    });

    it("feeds the consumer from the queue or the DLQ with partial batch responses", () => {
        const mappings = resources.filter(r => r.type === "aws:lambda/eventSourceMapping:EventSourceMapping").map(r => r.inputs);
        expect(mappings).to.deep.include.members([
            { eventSourceArn: "arn:aws:sqs:us-east-1:123456789012:unit-work", functionName: "unit-qc-consumer", batchSize: 5, functionResponseTypes: ["ReportBatchItemFailures"] },
            { eventSourceArn: "arn:aws:sqs:us-east-1:123456789012:unit-work-dlq", functionName: "unit-qc-consumer", batchSize: 10, functionResponseTypes: ["ReportBatchItemFailures"] },
        ]);
    });

    it("grants receive and delete, visibility changes on request, and the key only when the queue uses a customer managed key", async () => {
        const resolve = (statements: ReturnType<QueueConsumer["consumerStatements"]>) =>
            Promise.all(statements.map(async s => [s.sid, s.actions, await promiseOf(pulumi.output(s.resources))]));
        expect(await resolve(work.consumerStatements({ sid: "ConsumeWork" }))).to.deep.equal([
            ["ConsumeWork", ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"], ["arn:aws:sqs:us-east-1:123456789012:unit-work"]],
            ["ConsumeWorkKey", ["kms:Decrypt", "kms:GenerateDataKey"], ["arn:aws:kms:us-east-1:123456789012:key/k"]],
        ]);
        expect(await resolve(plain.consumerStatements({ sid: "ConsumeDlq", from: "dlq" }))).to.deep.equal([
            ["ConsumeDlq", ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"], ["arn:aws:sqs:us-east-1:123456789012:unit-plain-dlq"]],
        ]);
        expect(await resolve(plain.consumerStatements({ sid: "RetryWork", changesVisibility: true }))).to.deep.equal([
            ["RetryWork", ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"], ["arn:aws:sqs:us-east-1:123456789012:unit-plain"]],
        ]);
    });

    it("alarms on the DLQ's visible messages", () => {
        const { inputs } = one(resources, "aws:cloudwatch/metricAlarm:MetricAlarm", r => r.name === "qc-unit-dlq-alarm");
        expect(inputs).to.include({ namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", statistic: "Maximum", threshold: 0 });
        expect(inputs.dimensions).to.deep.equal({ QueueName: "unit-work-dlq" });
    });

    it("keeps the URNs resources had before the block existed, so a preview replaces nothing", async () => {
        // Queues kept their URNs under the old component type: children inherit their parent's aliases.
        expect(await aliasUrns(work)).to.deep.equal([urn("serverless-pipelines:test:Owner$serverless-pipelines:shared:QueueWithDlq", "qc-unit-work")]);
        // Mappings and DLQ alarms were children of the owning component.
        expect(await aliasUrns(mapping)).to.deep.equal([urn("serverless-pipelines:test:Owner$aws:lambda/eventSourceMapping:EventSourceMapping", "qc-unit-work-source")]);
        expect(await aliasUrns(dlqMapping)).to.deep.equal([urn("serverless-pipelines:test:Owner$aws:lambda/eventSourceMapping:EventSourceMapping", "qc-unit-dlq-source")]);
        expect(await aliasUrns(alarm)).to.deep.equal([urn("serverless-pipelines:test:Owner$aws:cloudwatch/metricAlarm:MetricAlarm", "qc-unit-dlq-alarm")]);
    });
});
