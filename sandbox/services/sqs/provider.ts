import * as sqsModel from "@aws-sdk/client-sqs";
import { AwsError, md5Hex } from "../../cloud";
import { modelOf } from "../../protocols/model";
import { awsJsonCodec } from "../../protocols/json";
import { awsQueryCodec } from "../../protocols/query";
import type { OperationCall } from "../../protocols/wire";
import type { ServiceProvider } from "../../provider";
import { LocalQueue, md5OfMessageAttributes, MessageAttributeValue, QueueAttributes, ReceivedMessage, SqsQueues } from "./queues";

const MODEL = modelOf(sqsModel);
/** A batch's entries together may not exceed 256 KiB (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html). */
const MAX_BATCH_BYTES = 262144;
const MAX_BATCH_ENTRIES = 10;

type Input = Record<string, any>;

/** Settable attributes the sandbox implements, with AWS's valid ranges (@aws-sdk/client-sqs CreateQueue docs); RedrivePolicy and the SSE ones are checked apart. */
const NUMERIC_ATTRIBUTES: Record<string, [number, number]> = {
    VisibilityTimeout: [0, 43200], DelaySeconds: [0, 900], MaximumMessageSize: [1024, 1048576], MessageRetentionPeriod: [60, 1209600], ReceiveMessageWaitTimeSeconds: [0, 20],
};
/** Attributes AWS accepts that the sandbox does not implement: refused rather than silently ignored. */
const UNIMPLEMENTED_ATTRIBUTES = ["RedriveAllowPolicy", "KmsDataKeyReusePeriodSeconds", "FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"];

function isJsonObject(text: string): boolean {
    try {
        const value: unknown = JSON.parse(text);
        return typeof value === "object" && value !== null && !Array.isArray(value);
    } catch {
        return false;
    }
}

/** CreateQueue/SetQueueAttributes attributes as SQS checks them: unknown names and out-of-range values are errors, FIFO is unsupported here. */
function checkedAttributes(attributes: Record<string, string> | undefined): QueueAttributes {
    for (const [name, value] of Object.entries(attributes ?? {})) {
        const range = NUMERIC_ATTRIBUTES[name];
        const invalid = () => new AwsError("InvalidAttributeValue", `Invalid value for the parameter ${name}.`);
        if (range) {
            if (!/^\d+$/.test(value) || Number(value) < range[0] || Number(value) > range[1]) {
                throw invalid();
            }
        } else if (name === "RedrivePolicy") {
            let policy: Input | undefined;
            try {
                policy = value ? JSON.parse(value) : {};
            } catch {
                throw invalid();
            }
            if (value && (typeof policy?.deadLetterTargetArn !== "string" || !/^\d+$/.test(String(policy.maxReceiveCount)) || Number(policy.maxReceiveCount) < 1 || Number(policy.maxReceiveCount) > 1000)) {
                throw invalid();
            }
        } else if (name === "Policy") {
            // Any JSON object here; the sandbox's authorizer judges its statements when it evaluates a call.
            if (value && !isJsonObject(value)) {
                throw invalid();
            }
        } else if (name === "SqsManagedSseEnabled") {
            if (value !== "true" && value !== "false") {
                throw invalid();
            }
        } else if (UNIMPLEMENTED_ATTRIBUTES.includes(name)) {
            throw new AwsError("UnsupportedOperation", `The sandbox does not implement the queue attribute ${name}.`);
        } else if (name !== "KmsMasterKeyId") {
            throw new AwsError("InvalidAttributeName", `Unknown Attribute ${name}.`);
        }
    }
    return (attributes ?? {}) as QueueAttributes;
}

/** Keeps what the receiver asked for: `All`, exact names or `prefix.*` (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html). */
function selected<T>(values: Record<string, T> | undefined, wanted: string[]): Record<string, T> | undefined {
    const kept = Object.entries(values ?? {}).filter(([name]) => wanted.some(pattern => pattern === "All" || pattern === ".*" || pattern === name || (pattern.endsWith(".*") && name.startsWith(pattern.slice(0, -1)))));
    return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/** Message attributes from the codecs (binary values as bytes) as the queues store them (base64). */
function storedAttributes(attributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: Uint8Array }> | undefined): Record<string, MessageAttributeValue> {
    return Object.fromEntries(Object.entries(attributes ?? {}).map(([name, value]) => [name, {
        DataType: value.DataType,
        ...(value.StringValue !== undefined ? { StringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined ? { BinaryValue: Buffer.from(value.BinaryValue).toString("base64") } : {}),
    }]));
}

function wireAttributes(attributes: Record<string, MessageAttributeValue>): Record<string, Input> {
    return Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { ...value, ...(value.BinaryValue !== undefined ? { BinaryValue: Buffer.from(value.BinaryValue, "base64") } : {}) }]));
}

function checkBatch(entries: Input[] | undefined): Input[] {
    if (!entries || entries.length === 0) {
        throw new AwsError("EmptyBatchRequest", "There should be at least one SendMessageBatchRequestEntry in the request.");
    }
    if (entries.length > MAX_BATCH_ENTRIES) {
        throw new AwsError("TooManyEntriesInBatchRequest", `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`);
    }
    if (new Set(entries.map(entry => entry.Id)).size !== entries.length) {
        throw new AwsError("BatchEntryIdsNotDistinct", "Id values must be unique within a batch request.");
    }
    return entries;
}

/** SQS over both of its protocols: AWS JSON 1.0 (SDK v3, newer CLIs) and awsQuery (AWS CLI 2.9, SDK v2). */
export class SqsService extends SqsQueues implements ServiceProvider {
    readonly signingName = "sqs";
    readonly api = { model: MODEL, codecs: { json: awsJsonCodec("1.0"), query: awsQueryCodec("http://queue.amazonaws.com/doc/2012-11-05/") } };

    async call({ operation, input }: OperationCall): Promise<Input> {
        const handler = this.operations[operation];
        if (!handler) {
            throw new AwsError("InvalidAction", `The action ${operation} is not valid for this endpoint.`);
        }
        return handler(input);
    }

    /** The queue's attributes under SQS's names, counts included. */
    attributesOf(queue: LocalQueue): Record<string, string> {
        const counts = this.counts(queue);
        return {
            QueueArn: queue.arn,
            ApproximateNumberOfMessages: String(counts.visible),
            ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
            ApproximateNumberOfMessagesDelayed: String(counts.delayed),
            CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
            LastModifiedTimestamp: String(Math.floor(queue.createdAt / 1000)),
            VisibilityTimeout: String(Math.round(this.clock.seconds(queue.visibilityTimeoutMs))),
            MaximumMessageSize: String(queue.maximumMessageSize),
            MessageRetentionPeriod: String(queue.messageRetentionSeconds),
            DelaySeconds: String(Math.round(this.clock.seconds(queue.delayMs))),
            ReceiveMessageWaitTimeSeconds: String(queue.receiveWaitTimeSeconds),
            ...(queue.requested.Policy ? { Policy: queue.requested.Policy } : {}),
            ...(queue.deadLetterTargetArn ? { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: queue.deadLetterTargetArn, maxReceiveCount: queue.maxReceiveCount }) } : {}),
            ...(queue.kmsMasterKeyId ? { KmsMasterKeyId: queue.kmsMasterKeyId } : { SqsManagedSseEnabled: String(queue.sqsManagedSse) }),
        };
    }

    /** A queue's `Policy` attribute is its resource policy: the authorizer judges deliveries and calls by it from now on. */
    private applyPolicy(queue: { arn: string; requested: Record<string, string> }): void {
        if ("Policy" in queue.requested) {
            this.ctx.authorizer?.setResourcePolicy(queue.arn, queue.requested.Policy ? JSON.parse(queue.requested.Policy) : undefined);
        }
    }

    private readonly operations: Record<string, (input: Input) => Promise<Input> | Input> = {
        CreateQueue: input => {
            if (String(input.QueueName).endsWith(".fifo")) {
                throw new AwsError("UnsupportedOperation", "The sandbox does not implement FIFO queues.");
            }
            const queue = this.create(input.QueueName, checkedAttributes(input.Attributes));
            this.applyPolicy(queue);
            return { QueueUrl: queue.url };
        },
        SetQueueAttributes: input => {
            const queue = this.queue(input.QueueUrl);
            const attributes = checkedAttributes(input.Attributes);
            this.configure(queue, attributes);
            Object.assign(queue.requested, attributes);
            this.applyPolicy(queue);
            return {};
        },
        DeleteQueue: input => {
            this.remove(input.QueueUrl);
            return {};
        },
        GetQueueUrl: input => ({ QueueUrl: this.queue(input.QueueName).url }),
        ListQueues: input => {
            const urls = this.list(input.QueueNamePrefix).map(queue => queue.url);
            return urls.length > 0 ? { QueueUrls: urls.slice(0, input.MaxResults ?? 1000) } : {};
        },
        GetQueueAttributes: input => {
            const attributes = this.attributesOf(this.queue(input.QueueUrl));
            const wanted: string[] = input.AttributeNames ?? [];
            const unknown = wanted.find(name => name !== "All" && !(name in attributes) && !["Policy", "RedriveAllowPolicy", "KmsDataKeyReusePeriodSeconds", "FifoQueue", "ContentBasedDeduplication"].includes(name));
            if (unknown) {
                throw new AwsError("InvalidAttributeName", `Unknown Attribute ${unknown}.`);
            }
            const kept = selected(attributes, wanted);
            return kept ? { Attributes: kept } : {};
        },
        PurgeQueue: input => {
            this.queue(input.QueueUrl).messages.length = 0;
            return {};
        },
        SendMessage: input => {
            const attributes = storedAttributes(input.MessageAttributes);
            const id = this.send(input.QueueUrl, input.MessageBody, attributes, input.DelaySeconds);
            return { MessageId: id, MD5OfMessageBody: md5Hex(input.MessageBody), ...(Object.keys(attributes).length > 0 ? { MD5OfMessageAttributes: md5OfMessageAttributes(attributes) } : {}) };
        },
        SendMessageBatch: input => {
            const queue = this.queue(input.QueueUrl);
            const entries = checkBatch(input.Entries);
            const total = entries.reduce((sum, entry) => sum + Buffer.byteLength(String(entry.MessageBody ?? "")), 0);
            if (total > MAX_BATCH_BYTES) {
                throw new AwsError("BatchRequestTooLong", `Batch requests cannot be longer than ${MAX_BATCH_BYTES} bytes. You have sent ${total} bytes.`);
            }
            const successful: Input[] = [];
            const failed: Input[] = [];
            for (const entry of entries) {
                try {
                    const attributes = storedAttributes(entry.MessageAttributes);
                    const id = this.send(queue.name, entry.MessageBody, attributes, entry.DelaySeconds);
                    successful.push({ Id: entry.Id, MessageId: id, MD5OfMessageBody: md5Hex(entry.MessageBody), ...(Object.keys(attributes).length > 0 ? { MD5OfMessageAttributes: md5OfMessageAttributes(attributes) } : {}) });
                } catch (error) {
                    const failure = error as AwsError;
                    failed.push({ Id: entry.Id, SenderFault: true, Code: failure.code, Message: failure.message });
                }
            }
            return { Successful: successful, Failed: failed };
        },
        ReceiveMessage: async input => {
            const queue = this.queue(input.QueueUrl);
            const waitSeconds = input.WaitTimeSeconds ?? queue.receiveWaitTimeSeconds;
            const messages = await this.receive(queue.name, input.MaxNumberOfMessages ?? 1, waitSeconds * 1000,
                input.VisibilityTimeout !== undefined ? this.clock.ms(input.VisibilityTimeout) : undefined);
            const systemNames: string[] = [...(input.AttributeNames ?? []), ...(input.MessageSystemAttributeNames ?? [])];
            const messageNames: string[] = input.MessageAttributeNames ?? [];
            return messages.length === 0 ? {} : {
                Messages: messages.map(({ MessageAttributes, Attributes, ...message }: ReceivedMessage) => {
                    const attributes = selected(MessageAttributes, messageNames);
                    return {
                        ...message, Attributes: selected(Attributes, systemNames), MessageAttributes: attributes && wireAttributes(attributes),
                        ...(attributes ? { MD5OfMessageAttributes: md5OfMessageAttributes(attributes) } : {}),
                    };
                }),
            };
        },
        DeleteMessage: input => {
            this.delete(input.QueueUrl, input.ReceiptHandle);
            return {};
        },
        DeleteMessageBatch: input => {
            const successful: Input[] = [];
            const failed: Input[] = [];
            for (const entry of checkBatch(input.Entries)) {
                try {
                    this.delete(input.QueueUrl, entry.ReceiptHandle);
                    successful.push({ Id: entry.Id });
                } catch (error) {
                    failed.push({ Id: entry.Id, SenderFault: true, Code: (error as AwsError).code, Message: (error as AwsError).message });
                }
            }
            return { Successful: successful, Failed: failed };
        },
        ChangeMessageVisibility: input => {
            this.changeVisibility(input.QueueUrl, input.ReceiptHandle, input.VisibilityTimeout);
            return {};
        },
    };
}
