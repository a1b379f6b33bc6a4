import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { physicalName, PlatformOptions } from "./platform";

export interface QueueWithDlqArgs {
    platform: PlatformOptions;
    /** Base name; the queues are `<namePrefix>-<queueName>` and `<namePrefix>-<queueName>-dlq`. */
    queueName: string;
    /** Timeout of the function that consumes the queue; visibility is 6× this, as AWS recommends. Default: 30 s. */
    consumerTimeoutSeconds?: number;
    /** Receives before a message moves to the DLQ. Default: 3. */
    maxReceiveCount?: number;
    /** Default: 4 days (SQS default). */
    messageRetentionSeconds?: number;
    /** Default: 14 days, the SQS maximum, so failures stay inspectable. */
    dlqMessageRetentionSeconds?: number;
    /** SSE-KMS with this key (needed when SNS, S3 or EventBridge publish to an encrypted queue). Default: SSE-SQS. */
    kmsKeyArn?: pulumi.Input<string>;
    /**
     * For a DLQ that has a consumer: receives of a DLQ message before it moves on to `<queueName>-dlq-parking`, so the
     * consumer cannot fail on it forever. Default: none (no parking queue; the DLQ keeps messages for its retention).
     */
    dlqMaxReceiveCount?: number;
}

export const FOURTEEN_DAYS_SECONDS = 14 * 24 * 60 * 60;

/** An encrypted SQS queue whose messages move to an encrypted dead-letter queue after `maxReceiveCount` receives. */
export class QueueWithDlq extends pulumi.ComponentResource {
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

    constructor(name: string, args: QueueWithDlqArgs, opts?: pulumi.ComponentResourceOptions) {
        super("serverless-pipelines:shared:QueueWithDlq", name, {}, opts);
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
}
