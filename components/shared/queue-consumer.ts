import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { thresholdAlarm, ThresholdAlarmArgs } from "./alarms";
import { PolicyStatement } from "./iam";
import { LambdaFunction } from "./lambda-function";
import { physicalName, PlatformOptions } from "./platform";

export interface QueueConsumerArgs {
    platform: PlatformOptions;
    /** Base name; the queues are `<namePrefix>-<queueName>` and `<namePrefix>-<queueName>-dlq`. */
    queueName: string;
    /** Timeout of the function that consumes the queue; visibility is 6× this, as AWS recommends. @default 30 */
    consumerTimeoutSeconds?: number;
    /** Receives before a message moves to the DLQ. @default 3 */
    maxReceiveCount?: number;
    /** Seconds SQS keeps a message. @default 345600 (4 days, the SQS default) */
    messageRetentionSeconds?: number;
    /** Seconds the DLQ keeps a message, so failures stay inspectable. @default 1209600 (14 days, the SQS maximum) */
    dlqMessageRetentionSeconds?: number;
    /**
     * SSE-KMS with this customer managed key (needed when SNS, S3 or EventBridge publish to an encrypted queue); the
     * consumer's grants then include the key. @default undefined (SSE-SQS)
     */
    kmsKeyArn?: pulumi.Input<string>;
    /**
     * For a DLQ that has a consumer: receives of a DLQ message before it moves on to `<queueName>-dlq-parking`, so the
     * consumer cannot fail on it forever. @default undefined (no parking queue; the DLQ keeps messages for its retention)
     */
    dlqMaxReceiveCount?: number;
}

export const FOURTEEN_DAYS_SECONDS = 14 * 24 * 60 * 60;

/** Which of the two queues a consumer reads. */
export type ConsumedQueue = "queue" | "dlq";

export interface ConsumerGrantArgs {
    /** Sid of the receive/delete statement. */
    sid: string;
    /** Sid of the key statement, emitted only when the queue uses a customer managed key. @default `${sid}Key` */
    keySid?: string;
    /** @default "queue" */
    from?: ConsumedQueue;
    /** Also sqs:ChangeMessageVisibility, for a consumer that sets a failed message's retry delay itself. @default false */
    changesVisibility?: boolean;
}

export interface SubscriptionArgs {
    /** Messages per invocation. @default 10 */
    batchSize?: pulumi.Input<number>;
    /** @default "queue" */
    from?: ConsumedQueue;
}

export interface DlqDepthAlarmArgs extends Pick<ThresholdAlarmArgs, "alertsTopicArn" | "notifyOnRecovery" | "alarmDescription"> {
    /** Physical alarm name. */
    name: pulumi.Input<string>;
    /** Messages visible in the DLQ above which the alarm fires. @default 0 */
    threshold?: number;
}

/**
 * An encrypted SQS queue whose messages move to an encrypted dead-letter queue after `maxReceiveCount` receives, with
 * what its consumers need: their grants, event source mappings with partial batch responses, and a DLQ depth alarm.
 * Mappings and alarms were children of the owning component before this block existed: they keep an alias to it.
 */
export class QueueConsumer extends pulumi.ComponentResource {
    public readonly queue: aws.sqs.Queue;
    public readonly deadLetterQueue: aws.sqs.Queue;
    public readonly url: pulumi.Output<string>;
    public readonly arn: pulumi.Output<string>;
    public readonly name: pulumi.Output<string>;
    public readonly dlqUrl: pulumi.Output<string>;
    public readonly dlqArn: pulumi.Output<string>;
    public readonly dlqName: pulumi.Output<string>;
    public readonly maxReceiveCount: number;
    /** Where DLQ messages go after `dlqMaxReceiveCount` receives; only when that is set. */
    public readonly parkingQueue?: aws.sqs.Queue;

    private readonly kmsKeyArn?: pulumi.Input<string>;
    private readonly formerParent?: pulumi.Resource;

    constructor(name: string, args: QueueConsumerArgs, opts?: pulumi.ComponentResourceOptions) {
        // The type was QueueWithDlq; the alias keeps its queues' URNs (children inherit it). https://www.pulumi.com/docs/iac/concepts/options/aliases/
        super("serverless-pipelines:shared:QueueConsumer", name, {}, { ...opts, aliases: [...(opts?.aliases ?? []), { type: "serverless-pipelines:shared:QueueWithDlq" }] });
        this.kmsKeyArn = args.kmsKeyArn;
        this.formerParent = opts?.parent;
        const queueName = physicalName(args.platform, args.queueName);
        const encryption = args.kmsKeyArn
            ? { kmsMasterKeyId: args.kmsKeyArn, kmsDataKeyReusePeriodSeconds: 300 }
            : { sqsManagedSseEnabled: true };
        this.maxReceiveCount = args.maxReceiveCount ?? 3;
        const visibilityTimeoutSeconds = Math.max(30, 6 * (args.consumerTimeoutSeconds ?? 30));

        this.parkingQueue = args.dlqMaxReceiveCount === undefined ? undefined : new aws.sqs.Queue(`${name}-dlq-parking`, {
            name: `${queueName}-dlq-parking`,
            messageRetentionSeconds: FOURTEEN_DAYS_SECONDS,
            ...encryption,
        }, { parent: this });
        const dlqMaxReceiveCount = args.dlqMaxReceiveCount;
        this.deadLetterQueue = new aws.sqs.Queue(`${name}-dlq`, {
            name: `${queueName}-dlq`,
            messageRetentionSeconds: args.dlqMessageRetentionSeconds ?? FOURTEEN_DAYS_SECONDS,
            redrivePolicy: this.parkingQueue?.arn.apply(deadLetterTargetArn => JSON.stringify({ deadLetterTargetArn, maxReceiveCount: dlqMaxReceiveCount })),
            ...encryption,
        }, { parent: this });
        if (this.parkingQueue) {
            new aws.sqs.RedriveAllowPolicy(`${name}-dlq-parking-redrive-allow`, {
                queueUrl: this.parkingQueue.url,
                redriveAllowPolicy: this.deadLetterQueue.arn.apply(arn => JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [arn] })),
            }, { parent: this });
        }

        this.queue = new aws.sqs.Queue(name, {
            name: queueName,
            visibilityTimeoutSeconds,
            messageRetentionSeconds: args.messageRetentionSeconds ?? 4 * 24 * 60 * 60,
            redrivePolicy: this.deadLetterQueue.arn.apply(deadLetterTargetArn =>
                JSON.stringify({ deadLetterTargetArn, maxReceiveCount: this.maxReceiveCount })),
            ...encryption,
        }, { parent: this });

        // Only this queue may use the DLQ as its dead-letter target.
        new aws.sqs.RedriveAllowPolicy(`${name}-dlq-redrive-allow`, {
            queueUrl: this.deadLetterQueue.url,
            redriveAllowPolicy: this.queue.arn.apply(arn =>
                JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [arn] })),
        }, { parent: this });

        this.url = this.queue.url;
        this.arn = this.queue.arn;
        this.name = this.queue.name;
        this.dlqUrl = this.deadLetterQueue.url;
        this.dlqArn = this.deadLetterQueue.arn;
        this.dlqName = this.deadLetterQueue.name;
        this.registerOutputs({ url: this.url, dlqUrl: this.dlqUrl });
    }

    /** The consumer's grants: receive, delete, read attributes (and change visibility if asked), and decrypt with the queue's key when it has one. */
    public consumerStatements(args: ConsumerGrantArgs): PolicyStatement[] {
        const queueArn = args.from === "dlq" ? this.dlqArn : this.arn;
        const actions = [...(args.changesVisibility ? ["sqs:ChangeMessageVisibility"] : []), "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"];
        const receive = { sid: args.sid, actions, resources: [queueArn] };
        if (!this.kmsKeyArn) {
            return [receive];
        }
        // Receiving from an SSE-KMS queue decrypts; GenerateDataKey in case redrive into its SSE-KMS DLQ needs it (AWS documents no rule either way).
        return [receive, { sid: args.keySid ?? `${args.sid}Key`, actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: [this.kmsKeyArn] }];
    }

    /** Feeds `consumer` from the queue (or the DLQ); it reports failed messages itself (partial batch responses). */
    public subscribe(name: string, consumer: LambdaFunction, args: SubscriptionArgs = {}): aws.lambda.EventSourceMapping {
        return new aws.lambda.EventSourceMapping(name, {
            eventSourceArn: args.from === "dlq" ? this.dlqArn : this.arn,
            functionName: consumer.name,
            batchSize: args.batchSize ?? 10,
            functionResponseTypes: ["ReportBatchItemFailures"],
        }, { ...this.movedChild(), dependsOn: [consumer] });
    }

    /** Alarms while messages wait in the DLQ. */
    public dlqDepthAlarm(name: string, args: DlqDepthAlarmArgs): aws.cloudwatch.MetricAlarm {
        return thresholdAlarm(name, {
            ...args,
            namespace: "AWS/SQS",
            metricName: "ApproximateNumberOfMessagesVisible",
            dimensions: { QueueName: this.dlqName },
            statistic: "Maximum",
            period: 60,
            threshold: args.threshold ?? 0,
        }, this.movedChild());
    }

    private movedChild(): pulumi.CustomResourceOptions {
        return { parent: this, aliases: this.formerParent ? [{ parent: this.formerParent }] : [] };
    }
}
