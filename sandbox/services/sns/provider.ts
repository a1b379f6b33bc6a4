import * as snsModel from "@aws-sdk/client-sns";
import { AwsError } from "../../cloud";
import { modelOf } from "../../protocols/model";
import { awsQueryCodec } from "../../protocols/query";
import type { OperationCall } from "../../protocols/wire";
import type { ServiceProvider } from "../../provider";
import type { MessageAttributeValue } from "../sqs";
import { SnsTopics, Subscription } from "./topics";

const MODEL = modelOf(snsModel);

type Input = Record<string, any>;

/** SNS over awsQuery (what the CLI and SDK v3 speak). */
export class SnsService extends SnsTopics implements ServiceProvider {
    readonly signingName = "sns";
    readonly api = { model: MODEL, codecs: { query: awsQueryCodec("http://sns.amazonaws.com/doc/2010-03-31/") } };

    async call({ operation, input }: OperationCall): Promise<Input> {
        const handler = this.operations[operation];
        if (!handler) {
            throw new AwsError("InvalidAction", `The action ${operation} is not valid for this endpoint.`);
        }
        return handler(input);
    }

    private listed(subscriptions: Subscription[]): Input {
        return { Subscriptions: subscriptions.map(item => ({ SubscriptionArn: item.arn, Owner: this.ctx.accountId, Protocol: item.protocol, Endpoint: item.endpoint, TopicArn: item.topicArn })) };
    }

    private readonly operations: Record<string, (input: Input) => Input> = {
        Publish: input => {
            const attributes: Record<string, MessageAttributeValue> = Object.fromEntries(Object.entries<Input>(input.MessageAttributes ?? {}).map(([name, value]) => [name, {
                DataType: value.DataType, ...(value.StringValue !== undefined ? { StringValue: value.StringValue } : {}),
                ...(value.BinaryValue !== undefined ? { BinaryValue: Buffer.from(value.BinaryValue).toString("base64") } : {}),
            }]));
            return { MessageId: this.publish(input.TopicArn ?? input.TargetArn ?? "", input.Message ?? "", input.Subject, attributes) };
        },
        ListTopics: () => ({ Topics: [...this.topics].map(arn => ({ TopicArn: arn })) }),
        GetTopicAttributes: input => {
            const arn = this.topic(input.TopicArn);
            const subscriptions = this.subscriptions.filter(item => item.topicArn === arn);
            return { Attributes: { TopicArn: arn, Owner: this.ctx.accountId, DisplayName: "", SubscriptionsConfirmed: String(subscriptions.length), SubscriptionsPending: "0", SubscriptionsDeleted: "0" } };
        },
        Subscribe: input => ({ SubscriptionArn: this.subscribe(input.TopicArn, input.Protocol, input.Endpoint, input.Attributes ?? {}).arn }),
        Unsubscribe: input => {
            this.unsubscribe(input.SubscriptionArn);
            return {};
        },
        ListSubscriptions: () => this.listed(this.subscriptions),
        ListSubscriptionsByTopic: input => this.listed(this.subscriptions.filter(item => item.topicArn === this.topic(input.TopicArn))),
        GetSubscriptionAttributes: input => {
            const subscription = this.subscriptions.find(item => item.arn === input.SubscriptionArn);
            if (!subscription) {
                throw new AwsError("NotFound", "Subscription does not exist", 404);
            }
            return {
                Attributes: {
                    SubscriptionArn: subscription.arn, TopicArn: subscription.topicArn, Owner: this.ctx.accountId, Protocol: subscription.protocol, Endpoint: subscription.endpoint,
                    RawMessageDelivery: String(subscription.raw), PendingConfirmation: "false", ConfirmationWasAuthenticated: "true",
                    ...(subscription.filterPolicy ? { FilterPolicy: JSON.stringify(subscription.filterPolicy), FilterPolicyScope: subscription.filterOnBody ? "MessageBody" : "MessageAttributes" } : {}),
                },
            };
        },
    };
}
