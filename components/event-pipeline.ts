import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { confirmationSenderHandler } from "../functions/events/confirmation-sender";
import { eventApiSettings, eventProcessorSettings, eventReaderSettings, eventRequestMessage, eventTableSettings } from "../functions/events/contract";
import { eventApiHandler } from "../functions/events/event-api";
import { eventProcessorHandler } from "../functions/events/event-processor";
import { eventReaderHandler } from "../functions/events/event-reader";
import { environment } from "../functions/shared/settings";
import { thresholdAlarm, ThresholdAlarmArgs } from "./shared/alarms";
import { LambdaFunction } from "./shared/lambda-function";
import { physicalName, PlatformOptions } from "./shared/platform";
import { FOURTEEN_DAYS_SECONDS, QueueConsumer } from "./shared/queue-consumer";
import { RestApi } from "./shared/rest-api";
import { SecureBucket } from "./shared/secure-bucket";
import { secureTable } from "./shared/table";
import { EncryptedTopic } from "./shared/encrypted-topic";

export interface EventPipelineArgs {
    platform: PlatformOptions;
    /** Days a stored event lives before DynamoDB TTL removes it. @default 30 */
    eventTtlDays?: number;
    /** Key prefix the EventBridge rule forwards Object Created events for. @default `uploads/` */
    eventRulePrefix?: string;
    /** SNS filter policy of the processing queue's subscription. @default none (every event) */
    filterPolicy?: Record<string, unknown>;
    /** What the filter policy matches. @default `MessageAttributes` (the SNS default) */
    filterPolicyScope?: "MessageAttributes" | "MessageBody";
    /** Messages per `event-processor` invocation. @default 10 */
    batchSize?: number;
    /** LocalStack-style endpoint for the API URL (see RestApi). @default stage invoke URL */
    localEndpoint?: string;
    /** `Access-Control-Allow-Origin`. @default `*` */
    corsAllowOrigin?: string;
}

export const DEFAULT_EVENT_TTL_DAYS = 30;
export const DEFAULT_EVENT_RULE_PREFIX = "uploads/";
const CONSUMER_TIMEOUT_SECONDS = 30;

/** What every step of the constructor builds with. */
interface Scope {
    name: string;
    args: EventPipelineArgs;
    platform: PlatformOptions;
    child: pulumi.CustomResourceOptions;
    accountId: pulumi.Output<string>;
}

/**
 * Seed 004: upload bucket → SNS event topic (also fed by an EventBridge rule and `POST /events`) →
 * processing queue (DLQ) → `event-processor` → events table (TTL) + confirmation queue (DLQ) →
 * `confirmation-sender`; `GET /events/{eventId}` reads a record; alarms go to an alerts topic.
 */
export class EventPipeline extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly topicArn: pulumi.Output<string>;
    public readonly queueUrl: pulumi.Output<string>;
    public readonly dlqUrl: pulumi.Output<string>;
    public readonly confirmationQueueUrl: pulumi.Output<string>;
    public readonly confirmationDlqUrl: pulumi.Output<string>;
    public readonly tableName: pulumi.Output<string>;
    /** API base URL: `POST ${apiUrl}/events`, `GET ${apiUrl}/events/{eventId}`. */
    public readonly apiUrl: pulumi.Output<string>;
    public readonly alertsTopicArn: pulumi.Output<string>;
    public readonly keyArn: pulumi.Output<string>;

    constructor(name: string, args: EventPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
        super("serverless-pipelines:events:EventPipeline", name, {}, opts);
        const child = { parent: this };
        const platform = args.platform;
        const scope: Scope = { name, args, platform, child, accountId: aws.getCallerIdentityOutput({}, child).accountId };

        const bucket = new SecureBucket(`${name}-bucket`, { platform, bucketName: "event-uploads", versioning: true }, child);
        const key = this.encryptionKey(scope, bucket);
        const topic = this.eventTopic(scope, bucket, key);
        const table = secureTable(`${name}-table`, { platform, tableName: "events", hashKey: "eventId", ttlAttribute: "expiresAt" }, child);
        const { queue, confirmations } = this.queues(scope, key, topic);
        const { processor, sender } = this.consumers(scope, { table, queue, confirmations });
        const { api, publisher, reader } = this.eventsApi(scope, key, topic, table);
        const alerts = this.alerting(scope, key, [queue, confirmations], [processor, sender, publisher, reader]);

        this.bucketName = bucket.name;
        this.topicArn = topic.arn;
        this.queueUrl = queue.url;
        this.dlqUrl = queue.dlqUrl;
        this.confirmationQueueUrl = confirmations.url;
        this.confirmationDlqUrl = confirmations.dlqUrl;
        this.tableName = table.name;
        this.apiUrl = api.url;
        this.alertsTopicArn = alerts.arn;
        this.keyArn = key.arn;
        this.registerOutputs({
            bucketName: this.bucketName, topicArn: this.topicArn, queueUrl: this.queueUrl, dlqUrl: this.dlqUrl,
            confirmationQueueUrl: this.confirmationQueueUrl, tableName: this.tableName, apiUrl: this.apiUrl,
            alertsTopicArn: this.alertsTopicArn,
        });
    }

    /** The customer-managed key of the topics and the processing queue, with the service grants each publisher needs. */
    private encryptionKey(scope: Scope, bucket: SecureBucket): aws.kms.Key {
        const { name, platform, child, accountId } = scope;
        const partition = aws.getPartitionOutput({}, child).partition;
        const region = aws.getRegionOutput({}, child).region;

        // S3, EventBridge and CloudWatch cannot publish to a topic under the AWS-managed alias/aws/sns key (its
        // policy cannot grant them), and SNS needs a customer-managed key policy to deliver into an SSE-KMS queue.
        const key = new aws.kms.Key(`${name}-key`, {
            description: `Encrypts the ${physicalName(platform, "events")} topics and processing queue`,
            enableKeyRotation: true,
            deletionWindowInDays: platform.local ? 7 : 30,
            policy: pulumi.all([accountId, partition, region, bucket.arn]).apply(([account, awsPartition, awsRegion, bucketArn]) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "AccountRootAdministers",
                        Effect: "Allow",
                        Principal: { AWS: `arn:${awsPartition}:iam::${account}:root` },
                        Action: "kms:*",
                        Resource: "*",
                    },
                    {
                        // Source conditions against the confused deputy, as the SNS guide's "Enable compatibility between event sources from AWS services and encrypted topics" shows.
                        Sid: "UploadBucketPublishesEncrypted",
                        Effect: "Allow",
                        Principal: { Service: "s3.amazonaws.com" },
                        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                        Resource: "*",
                        Condition: { StringEquals: { "aws:SourceAccount": account }, ArnLike: { "aws:SourceArn": bucketArn } },
                    },
                    {
                        Sid: "TopicDeliversEncrypted",
                        Effect: "Allow",
                        Principal: { Service: "sns.amazonaws.com" },
                        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                        Resource: "*",
                        Condition: { StringEquals: { "aws:SourceAccount": account } },
                    },
                    {
                        Sid: "AlarmsPublishEncrypted",
                        Effect: "Allow",
                        Principal: { Service: "cloudwatch.amazonaws.com" },
                        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                        Resource: "*",
                        Condition: {
                            StringEquals: { "aws:SourceAccount": account },
                            // By name pattern (every alarm here is <namePrefix>-…-alarm): exact alarm ARNs would make a cycle alarm → topic → key.
                            ArnLike: { "aws:SourceArn": `arn:${awsPartition}:cloudwatch:${awsRegion}:${account}:alarm:${physicalName(platform, "*")}` },
                        },
                    },
                    {
                        // EventBridge's KMS requests carry no aws:Source* keys, so a condition on them would drop every delivery; the topic policy scopes it to our rule.
                        Sid: "EventBridgePublishesEncrypted",
                        Effect: "Allow",
                        Principal: { Service: "events.amazonaws.com" },
                        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                        Resource: "*",
                    },
                ],
            })),
        }, child);
        new aws.kms.Alias(`${name}-key-alias`, { name: `alias/${physicalName(platform, "events")}`, targetKeyId: key.keyId }, child);
        return key;
    }

    /** The event topic, fed by the upload bucket directly and by the Object Created rule on EventBridge. */
    private eventTopic(scope: Scope, bucket: SecureBucket, key: aws.kms.Key): aws.sns.Topic {
        const { name, args, platform, child, accountId } = scope;
        const events = new EncryptedTopic(`${name}-topic`, { platform, topicName: "events", kmsKeyArn: key.arn }, child);
        const topic = events.topic;

        const rule = new aws.cloudwatch.EventRule(`${name}-object-created`, {
            name: physicalName(platform, "events-object-created"),
            description: "Forwards the upload bucket's Object Created events under the configured prefix to the event topic",
            eventPattern: bucket.name.apply(bucketName => JSON.stringify({
                source: ["aws.s3"],
                "detail-type": ["Object Created"],
                detail: {
                    bucket: { name: [bucketName] },
                    object: { key: [{ prefix: args.eventRulePrefix ?? DEFAULT_EVENT_RULE_PREFIX }] },
                },
            })),
        }, child);

        const topicPolicy = events.allowPublishers([
            {
                sid: "UploadBucketPublishes",
                principal: { Service: "s3.amazonaws.com" },
                condition: { ArnLike: { "aws:SourceArn": bucket.arn }, StringEquals: { "aws:SourceAccount": accountId } },
            },
            {
                sid: "ObjectCreatedRulePublishes",
                principal: { Service: "events.amazonaws.com" },
                condition: { ArnEquals: { "aws:SourceArn": rule.arn } },
            },
        ]);

        new aws.cloudwatch.EventTarget(`${name}-object-created-target`, {
            rule: rule.name,
            arn: topic.arn,
        }, { parent: this, dependsOn: [topicPolicy] });

        // One notification configuration per bucket: the SNS topic for every ObjectCreated plus EventBridge delivery.
        new aws.s3.BucketNotification(`${name}-bucket-notification`, {
            bucket: bucket.name,
            eventbridge: true,
            topics: [{ topicArn: topic.arn, events: ["s3:ObjectCreated:*"] }],
        }, { parent: this, dependsOn: [topicPolicy, bucket.policy] });
        return topic;
    }

    /** The processing queue subscribed to the topic and the confirmation queue, each with its DLQ. */
    private queues(scope: Scope, key: aws.kms.Key, topic: aws.sns.Topic): { queue: QueueConsumer; confirmations: QueueConsumer } {
        const { name, args, platform, child } = scope;
        const queue = new QueueConsumer(`${name}-queue`, {
            platform,
            queueName: "events-processing",
            consumerTimeoutSeconds: CONSUMER_TIMEOUT_SECONDS,
            maxReceiveCount: 3,
            dlqMessageRetentionSeconds: FOURTEEN_DAYS_SECONDS,
            kmsKeyArn: key.arn,
        }, child);

        const queuePolicy = new aws.sqs.QueuePolicy(`${name}-queue-policy`, {
            queueUrl: queue.url,
            policy: pulumi.all([queue.arn, topic.arn]).apply(([queueArn, topicArn]) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [{
                    Sid: "EventTopicDelivers",
                    Effect: "Allow",
                    Principal: { Service: "sns.amazonaws.com" },
                    Action: "sqs:SendMessage",
                    Resource: queueArn,
                    Condition: { ArnEquals: { "aws:SourceArn": topicArn } },
                }],
            })),
        }, child);

        new aws.sns.TopicSubscription(`${name}-subscription`, {
            topic: topic.arn,
            protocol: "sqs",
            endpoint: queue.arn,
            // The queue receives the publisher's JSON as is, not wrapped in an SNS envelope.
            rawMessageDelivery: true,
            filterPolicy: args.filterPolicy ? JSON.stringify(args.filterPolicy) : undefined,
            filterPolicyScope: args.filterPolicy ? args.filterPolicyScope : undefined,
        }, { parent: this, dependsOn: [queuePolicy] });

        // Only the processor sends to it, so SQS-managed encryption suffices.
        const confirmations = new QueueConsumer(`${name}-confirmations`, {
            platform, queueName: "events-confirmations", consumerTimeoutSeconds: CONSUMER_TIMEOUT_SECONDS, maxReceiveCount: 3,
        }, child);
        return { queue, confirmations };
    }

    /** event-processor and confirmation-sender, each fed by its queue with partial batch responses. */
    private consumers(scope: Scope, resources: { table: aws.dynamodb.Table; queue: QueueConsumer; confirmations: QueueConsumer }): { processor: LambdaFunction; sender: LambdaFunction } {
        const { name, args, platform, child } = scope;
        const { table, queue, confirmations } = resources;

        const processor = new LambdaFunction(`${name}-processor`, {
            platform,
            functionName: "event-processor",
            description: "Normalises S3, EventBridge and API events, stores each once with a TTL, queues its confirmation",
            handlerFactory: eventProcessorHandler,
            environment: environment(eventProcessorSettings(), {
                eventsTable: table.name,
                confirmationQueueUrl: confirmations.url,
                eventTtlDays: String(args.eventTtlDays ?? DEFAULT_EVENT_TTL_DAYS),
            }),
            statements: [
                ...queue.consumerStatements({ sid: "ConsumeProcessingQueue", keySid: "UseProcessingQueueKey" }),
                { sid: "StoreEventsOnce", actions: ["dynamodb:DeleteItem", "dynamodb:PutItem"], resources: [table.arn] },
                { sid: "QueueConfirmations", actions: ["sqs:SendMessage"], resources: [confirmations.arn] },
            ],
            runtimePackages: ["@aws-lambda-powertools/batch"],
            timeoutSeconds: CONSUMER_TIMEOUT_SECONDS,
        }, child);

        const sender = new LambdaFunction(`${name}-sender`, {
            platform,
            functionName: "confirmation-sender",
            description: "Marks stored events CONFIRMED, once",
            handlerFactory: confirmationSenderHandler,
            environment: environment(eventTableSettings(), { eventsTable: table.name }),
            statements: [
                ...confirmations.consumerStatements({ sid: "ConsumeConfirmationQueue" }),
                { sid: "ConfirmEvents", actions: ["dynamodb:UpdateItem"], resources: [table.arn] },
            ],
            runtimePackages: ["@aws-lambda-powertools/batch"],
            timeoutSeconds: CONSUMER_TIMEOUT_SECONDS,
        }, child);

        const batchSize = args.batchSize ?? 10;
        queue.subscribe(`${name}-processor-source`, processor, { batchSize });
        confirmations.subscribe(`${name}-sender-source`, sender, { batchSize });
        return { processor, sender };
    }

    /** `POST /events` and `GET /events/{eventId}` behind one REST API. */
    private eventsApi(scope: Scope, key: aws.kms.Key, topic: aws.sns.Topic, table: aws.dynamodb.Table): { api: RestApi; publisher: LambdaFunction; reader: LambdaFunction } {
        const { name, args, platform, child } = scope;
        const publisher = new LambdaFunction(`${name}-api`, {
            platform,
            functionName: "event-api",
            description: "POST /events: validates a user event and publishes it to the event topic",
            handlerFactory: eventApiHandler,
            environment: environment(eventApiSettings(), { eventTopicArn: topic.arn, corsAllowOrigin: args.corsAllowOrigin ?? "*" }),
            statements: [
                { sid: "PublishEvents", actions: ["sns:Publish"], resources: [topic.arn] },
                // Publishing to an SSE-KMS topic needs a data key from the topic's key.
                { sid: "EncryptForTopic", actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: [key.arn] },
            ],
            runtimePackages: ["superstruct"],
        }, child);

        const reader = new LambdaFunction(`${name}-reader`, {
            platform,
            functionName: "event-reader",
            description: "GET /events/{eventId}: the stored event and its status",
            handlerFactory: eventReaderHandler,
            environment: environment(eventReaderSettings(), { eventsTable: table.name, corsAllowOrigin: args.corsAllowOrigin ?? "*" }),
            statements: [{ sid: "ReadEvents", actions: ["dynamodb:GetItem"], resources: [table.arn] }],
        }, child);

        const api = new RestApi(`${name}-api-gateway`, {
            platform,
            apiName: "events-api",
            description: "Publish events and read their processing status",
            routes: [
                { kind: "lambda", method: "POST", path: "events", function: publisher, requestSchema: eventRequestMessage().json },
                { kind: "lambda", method: "GET", path: "events/{eventId}", function: reader },
            ],
            localEndpoint: args.localEndpoint,
            corsAllowOrigin: args.corsAllowOrigin,
        }, child);
        return { api, publisher, reader };
    }

    /** The alerts topic and an alarm on each DLQ and each function's errors. */
    private alerting(scope: Scope, key: aws.kms.Key, queues: [QueueConsumer, QueueConsumer], functions: LambdaFunction[]): aws.sns.Topic {
        const { name, platform, child, accountId } = scope;
        const [queue, confirmations] = queues;
        const [processor, sender, publisher, reader] = functions;
        const alerts = new EncryptedTopic(`${name}-alerts`, { platform, topicName: "events-alerts", kmsKeyArn: key.arn }, child);
        const alarms: aws.cloudwatch.MetricAlarm[] = [];
        const alarm = (suffix: string, description: string, metric: Omit<ThresholdAlarmArgs, "alertsTopicArn">) => {
            alarms.push(thresholdAlarm(`${name}-${suffix}-alarm`, {
                alertsTopicArn: alerts.arn,
                notifyOnRecovery: true,
                name: physicalName(platform, `${suffix}-alarm`),
                alarmDescription: description,
                ...metric,
            }, child));
        };
        for (const [suffix, dlq] of [["events-dlq", queue], ["events-confirmations-dlq", confirmations]] as const) {
            alarms.push(dlq.dlqDepthAlarm(`${name}-${suffix}-alarm`, {
                alertsTopicArn: alerts.arn,
                notifyOnRecovery: true,
                name: physicalName(platform, `${suffix}-alarm`),
                alarmDescription: `Messages waiting in ${suffix}: events that failed ${dlq.maxReceiveCount} times`,
            }));
        }
        for (const [suffix, fn] of [["event-processor", processor], ["confirmation-sender", sender], ["event-api", publisher], ["event-reader", reader]] as const) {
            alarm(`${suffix}-errors`, `${suffix} invocations failed`, {
                namespace: "AWS/Lambda", metricName: "Errors", statistic: "Sum",
                dimensions: { FunctionName: fn.name }, period: 60, threshold: 0,
            });
        }

        alerts.allowPublishers([{
            sid: "AlarmsPublish",
            principal: { Service: "cloudwatch.amazonaws.com" },
            condition: { ArnLike: { "aws:SourceArn": alarms.map(each => each.arn) }, StringEquals: { "aws:SourceAccount": accountId } },
        }]);
        return alerts.topic;
    }
}
