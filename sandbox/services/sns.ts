import type * as http from "http";
import { randomUUID } from "crypto";
import { AwsError, matchesPattern, requestId, resourcesOfType, SandboxContext, SandboxService, sendXml, xmlEscape } from "../cloud";
import type { MessageAttributeValue, SqsService } from "./sqs";

interface Subscription {
    arn: string;
    topicArn: string;
    protocol: string;
    endpoint: string;
    raw: boolean;
    filterPolicy?: Record<string, unknown>;
    filterOnBody: boolean;
}

const XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/";

/** SNS (query protocol, XML answers): Publish fans out to the synthesized subscriptions (SQS, Lambda; email is logged). */
export class SnsService implements SandboxService {
    private readonly topics = new Set<string>();
    private readonly subscriptions: Subscription[];

    constructor(private readonly ctx: SandboxContext, private readonly sqs: SqsService) {
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
        if (!this.topics.has(topicArn)) {
            throw new AwsError("NotFound", "Topic does not exist", 404);
        }
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
            switch (subscription.protocol) {
                case "sqs":
                    this.sqs.send(subscription.endpoint, subscription.raw ? message : JSON.stringify(envelope), subscription.raw ? attributes : {});
                    break;
                case "lambda": {
                    const { SigningCertURL, UnsubscribeURL, ...rest } = envelope;
                    this.ctx.functions.invokeAsync(subscription.endpoint, {
                        Records: [{ EventSource: "aws:sns", EventVersion: "1.0", EventSubscriptionArn: subscription.arn, Sns: { ...rest, SigningCertUrl: SigningCertURL, UnsubscribeUrl: UnsubscribeURL, MessageAttributes: envelopeAttributes } }],
                    });
                    break;
                }
                default:
                    this.ctx.log({ kind: "event", message: `sns ${subscription.protocol} ${subscription.endpoint}: ${subject ? `${subject}: ` : ""}${message}` });
            }
        }
        return messageId;
    }

    async handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<boolean> {
        const contentType = String(req.headers["content-type"] ?? "");
        if (req.method !== "POST" || !contentType.startsWith("application/x-www-form-urlencoded")) {
            return false;
        }
        const form = new URLSearchParams(body.toString("utf8"));
        const action = form.get("Action");
        if (!action || form.get("Version") !== "2010-03-31") {
            return false;
        }
        try {
            sendXml(res, 200, `<${action}Response xmlns="${XMLNS}"><${action}Result>${this.operation(action, form)}</${action}Result><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></${action}Response>`);
        } catch (error) {
            const failure = error instanceof AwsError ? error : new AwsError("InternalError", (error as Error).message, 500);
            sendXml(res, failure.status, `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${failure.code}</Code><Message>${xmlEscape(failure.message)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`);
        }
        return true;
    }

    private operation(action: string, form: URLSearchParams): string {
        switch (action) {
            case "Publish": {
                const topicArn = form.get("TopicArn") ?? form.get("TargetArn") ?? "";
                const id = this.publish(topicArn, form.get("Message") ?? "", form.get("Subject") ?? undefined, messageAttributesOf(form));
                return `<MessageId>${id}</MessageId>`;
            }
            case "ListTopics":
                return `<Topics>${[...this.topics].map(arn => `<member><TopicArn>${arn}</TopicArn></member>`).join("")}</Topics>`;
            case "GetTopicAttributes": {
                const arn = form.get("TopicArn") ?? "";
                if (!this.topics.has(arn)) {
                    throw new AwsError("NotFound", "Topic does not exist", 404);
                }
                return `<Attributes><entry><key>TopicArn</key><value>${arn}</value></entry></Attributes>`;
            }
            default:
                throw new AwsError("InvalidAction", `The action ${action} is not valid for this endpoint.`);
        }
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

/** `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue` form fields as SQS-style attributes. */
function messageAttributesOf(form: URLSearchParams): Record<string, MessageAttributeValue> {
    const attributes: Record<string, MessageAttributeValue> = {};
    for (let index = 1; form.has(`MessageAttributes.entry.${index}.Name`); index++) {
        const prefix = `MessageAttributes.entry.${index}`;
        attributes[form.get(`${prefix}.Name`)!] = {
            DataType: form.get(`${prefix}.Value.DataType`) ?? "String",
            ...(form.has(`${prefix}.Value.StringValue`) ? { StringValue: form.get(`${prefix}.Value.StringValue`)! } : {}),
            ...(form.has(`${prefix}.Value.BinaryValue`) ? { BinaryValue: form.get(`${prefix}.Value.BinaryValue`)! } : {}),
        };
    }
    return attributes;
}
