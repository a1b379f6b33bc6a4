import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { physicalName, PlatformOptions } from "./platform";
import { publishersOnlyTopicPolicy, TopicPublisher } from "./topic-policy";

export interface EncryptedTopicArgs {
    platform: PlatformOptions;
    /** Base name; the topic is `<namePrefix>-<topicName>`. */
    topicName: string;
    /** Customer managed key to encrypt with, e.g. one its owner shares with its queues. @default undefined (see `alarmsPublish`) */
    kmsKeyArn?: pulumi.Input<string>;
    /**
     * CloudWatch alarms publish to it: CloudWatch cannot use the AWS-managed SNS key, so without `kmsKeyArn` the topic
     * gets a key of its own that this account's alarms may use. @default false (the AWS-managed key `alias/aws/sns`)
     */
    alarmsPublish?: boolean;
}

/**
 * An SSE-KMS SNS topic with its key, a policy naming its only publishers (TLS-only) and its email subscriptions.
 * Its resources were children of the owning component before this block existed: they keep an alias to it.
 */
export class EncryptedTopic extends pulumi.ComponentResource {
    public readonly topic: aws.sns.Topic;
    public readonly arn: pulumi.Output<string>;
    /** The key of its own, when `alarmsPublish` asked for one. */
    public readonly key?: aws.kms.Key;
    private readonly baseName: string;
    private readonly formerParent?: pulumi.Resource;

    constructor(name: string, args: EncryptedTopicArgs, opts?: pulumi.ComponentResourceOptions) {
        super("serverless-pipelines:shared:EncryptedTopic", name, {}, opts);
        this.baseName = name;
        this.formerParent = opts?.parent;
        const topicName = physicalName(args.platform, args.topicName);
        this.key = args.alarmsPublish && !args.kmsKeyArn ? this.alarmsKey(topicName) : undefined;
        this.topic = new aws.sns.Topic(name, {
            name: topicName,
            kmsMasterKeyId: args.kmsKeyArn ?? this.key?.arn ?? "alias/aws/sns",
        }, this.movedChild());
        this.arn = this.topic.arn;
        this.registerOutputs({ arn: this.arn });
    }

    /** Replaces SNS's default policy: only `publishers` may publish, over TLS. */
    public allowPublishers(publishers: TopicPublisher[]): aws.sns.TopicPolicy {
        return publishersOnlyTopicPolicy(`${this.baseName}-policy`, { topicArn: this.arn, publishers }, this.movedChild());
    }

    /** Sends each message to `email` once its owner confirms the subscription. */
    public subscribeEmail(name: string, email: string): aws.sns.TopicSubscription {
        return new aws.sns.TopicSubscription(name, { topic: this.arn, protocol: "email", endpoint: email }, this.movedChild());
    }

    private alarmsKey(topicName: string): aws.kms.Key {
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const partition = aws.getPartitionOutput({}, { parent: this }).partition;
        const region = aws.getRegionOutput({}, { parent: this }).region;
        return new aws.kms.Key(`${this.baseName}-key`, {
            description: `Encrypts ${topicName}; CloudWatch alarms may publish to it`,
            enableKeyRotation: true,
            deletionWindowInDays: 7,
            policy: pulumi.all([account, partition, region]).apply(([accountId, awsPartition, awsRegion]) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "AccountAdministersKey",
                        Effect: "Allow",
                        Principal: { AWS: `arn:${awsPartition}:iam::${accountId}:root` },
                        Action: "kms:*",
                        Resource: "*",
                    },
                    {
                        Sid: "CloudWatchAlarmsPublish",
                        Effect: "Allow",
                        Principal: { Service: "cloudwatch.amazonaws.com" },
                        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                        Resource: "*",
                        // Only this account's alarms in this region (SNS guide: "Enable compatibility between event sources from AWS services
                        // and encrypted topics"); any alarm name, as exact alarm ARNs would make a cycle alarm → topic → key.
                        Condition: {
                            StringEquals: { "aws:SourceAccount": accountId },
                            ArnLike: { "aws:SourceArn": `arn:${awsPartition}:cloudwatch:${awsRegion}:${accountId}:alarm:*` },
                        },
                    },
                ],
            })),
        }, this.movedChild());
    }

    // https://www.pulumi.com/docs/iac/concepts/options/aliases/: the old parent keeps the URN, so a preview replaces nothing.
    private movedChild(): pulumi.CustomResourceOptions {
        return { parent: this, aliases: this.formerParent ? [{ parent: this.formerParent }] : [] };
    }
}
