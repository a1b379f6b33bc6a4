import { randomUUID } from "crypto";
import { AwsError, matchesPattern, resourcesOfType, SandboxContext } from "../../cloud";
import { deliverAs } from "../../iam/deliveries";
import type { MessageAttributeValue, SqsService } from "../sqs";

export interface Subscription {
    arn: string;
    topicArn: string;
    protocol: string;
    endpoint: string;
    raw: boolean;
    filterPolicy?: Record<string, unknown>;
    filterOnBody: boolean;
}

/** Topics and subscriptions: Publish fans out to SQS and Lambda subscribers (email is logged); nothing about HTTP. */
export class SnsTopics {
    protected readonly topics = new Set<string>();
    protected subscriptions: Subscription[];

    constructor(protected readonly ctx: SandboxContext, private readonly sqs: SqsService) {
        for (const topic of resourcesOfType(ctx.resources, "aws:sns/topic:Topic")) {
            this.topics.add(topic.state.arn);
        }
        this.subscriptions = resourcesOfType(ctx.resources, "aws:sns/topicSubscription:TopicSubscription").map(subscription => ({
            arn: subscription.state.arn,
            topicArn: subscription.inputs.topic,
            protocol: subscription.inputs.protocol,
            endpoint: subscription.inputs.endpoint,
            raw: subscription.inputs.rawMessageDelivery === true || subscription.inputs.rawMessageDelivery === "true",
            filterPolicy: subscription.inputs.filterPolicy ? JSON.parse(subscription.inputs.filterPolicy) : undefined,
            filterOnBody: subscription.inputs.filterPolicyScope === "MessageBody",
        }));
    }

    publish(topicArn: string, message: string, subject?: string, attributes: Record<string, MessageAttributeValue> = {}): string {
        this.topic(topicArn);
        const messageId = randomUUID();
        const timestamp = new Date().toISOString();
        const envelopeAttributes = Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { Type: value.DataType, Value: value.StringValue ?? value.BinaryValue }]));
        this.ctx.log({ kind: "event", message: `sns ${topicArn.split(":").pop()} <- message ${messageId}` });
        for (const subscription of this.subscriptions.filter(item => item.topicArn === topicArn)) {
            if (subscription.filterPolicy && !this.passes(subscription, message, attributes)) {
                continue;
            }
            const envelope = {
                Type: "Notification", MessageId: messageId, TopicArn: topicArn, ...(subscription.protocol === "lambda" ? { Subject: subject ?? null } : subject ? { Subject: subject } : {}),
                Message: message, Timestamp: timestamp, SignatureVersion: "1", Signature: "c2FuZGJveA==",
                SigningCertURL: `${this.ctx.endpoint}/SimpleNotificationService.pem`,
                UnsubscribeURL: `${this.ctx.endpoint}/?Action=Unsubscribe&SubscriptionArn=${subscription.arn}`,
                ...(Object.keys(envelopeAttributes).length > 0 ? { MessageAttributes: envelopeAttributes } : {}),
            };
            // SNS delivers as sns.amazonaws.com for the topic: the queue's policy and key, or the function's permissions, must allow it.
            switch (subscription.protocol) {
                case "sqs":
                    deliverAs(this.ctx, "sns.amazonaws.com", topicArn, { service: "sqs", operation: "SendMessage", input: { QueueUrl: subscription.endpoint } },
                        () => this.sqs.send(subscription.endpoint, subscription.raw ? message : JSON.stringify(envelope), subscription.raw ? attributes : {}));
                    break;
                case "lambda": {
                    const { SigningCertURL, UnsubscribeURL, ...rest } = envelope;
                    deliverAs(this.ctx, "sns.amazonaws.com", topicArn, { service: "lambda", operation: "Invoke", input: { FunctionName: subscription.endpoint } }, () => this.ctx.functions.invokeAsync(subscription.endpoint, {
                        Records: [{ EventSource: "aws:sns", EventVersion: "1.0", EventSubscriptionArn: subscription.arn, Sns: { ...rest, SigningCertUrl: SigningCertURL, UnsubscribeUrl: UnsubscribeURL, MessageAttributes: envelopeAttributes } }],
                    }));
                    break;
                }
                default:
                    this.ctx.log({ kind: "event", message: `sns ${subscription.protocol} ${subscription.endpoint}: ${subject ? `${subject}: ` : ""}${message}` });
            }
        }
        return messageId;
    }

    /** Subscribes an endpoint; SQS and Lambda endpoints of this account are confirmed at once, as in AWS. */
    subscribe(topicArn: string, protocol: string, endpoint: string, attributes: Record<string, string> = {}): Subscription {
        this.topic(topicArn);
        if (!["sqs", "lambda", "email", "email-json", "http", "https"].includes(protocol)) {
            throw new AwsError("InvalidParameter", `Invalid parameter: Does not support this protocol string: ${protocol}`);
        }
        const existing = this.subscriptions.find(item => item.topicArn === topicArn && item.protocol === protocol && item.endpoint === endpoint);
        if (existing) {
            return existing;
        }
        const subscription: Subscription = {
            arn: `${topicArn}:${randomUUID()}`, topicArn, protocol, endpoint, raw: attributes.RawMessageDelivery === "true",
            filterPolicy: attributes.FilterPolicy ? JSON.parse(attributes.FilterPolicy) : undefined, filterOnBody: attributes.FilterPolicyScope === "MessageBody",
        };
        this.subscriptions.push(subscription);
        return subscription;
    }

    unsubscribe(subscriptionArn: string): void {
        this.subscriptions = this.subscriptions.filter(item => item.arn !== subscriptionArn);
    }

    topic(arn: string): string {
        if (!this.topics.has(arn)) {
            throw new AwsError("NotFound", "Topic does not exist", 404);
        }
        return arn;
    }

    private passes(subscription: Subscription, message: string, attributes: Record<string, MessageAttributeValue>): boolean {
        if (subscription.filterOnBody) {
            try {
                return matchesPattern(subscription.filterPolicy!, JSON.parse(message));
            } catch {
                return false;
            }
        }
        const values = Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name,
            value.DataType.startsWith("Number") ? Number(value.StringValue) : value.DataType.startsWith("String.Array") ? JSON.parse(value.StringValue ?? "[]") : value.StringValue]));
        return matchesPattern(subscription.filterPolicy!, values);
    }
}
