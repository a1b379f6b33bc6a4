import { createHash, randomUUID } from "crypto";
import { Clock, REAL_TIME } from "../../clock";
import { AwsError, md5Hex, resourcesOfType, SandboxContext } from "../../cloud";

/** As stored: binary values base64, as SNS and Lambda's SQS records carry them. */
export interface MessageAttributeValue { DataType: string; StringValue?: string; BinaryValue?: string }

interface StoredMessage {
    id: string;
    body: string;
    attributes: Record<string, MessageAttributeValue>;
    sentAt: number;
    firstReceivedAt?: number;
    /** When the current receipt handle was issued: a visibility change may not reach past 12 hours from it. */
    receivedAt?: number;
    receiveCount: number;
    visibleAt: number;
    receiptHandle?: string;
}

export interface ReceivedMessage {
    MessageId: string;
    ReceiptHandle: string;
    MD5OfBody: string;
    Body: string;
    Attributes: Record<string, string>;
    MessageAttributes?: Record<string, MessageAttributeValue>;
}

/** A message as a peek shows it: where it stands, without receiving it. */
export interface PeekedMessage {
    MessageId: string;
    Body: string;
    SentTimestamp: number;
    ApproximateReceiveCount: number;
    state: "visible" | "in-flight" | "delayed";
}

export interface LocalQueue {
    name: string;
    arn: string;
    url: string;
    visibilityTimeoutMs: number;
    delayMs: number;
    deadLetterTargetArn?: string;
    maxReceiveCount?: number;
    /** Body plus message attributes, in bytes (AWS default 256 KiB). */
    maximumMessageSize: number;
    messageRetentionSeconds: number;
    receiveWaitTimeSeconds: number;
    kmsMasterKeyId?: string;
    sqsManagedSse: boolean;
    createdAt: number;
    /** The attributes as given at creation (CreateQueue answers the same name with other attributes with QueueNameExists). */
    requested: Record<string, string>;
    messages: StoredMessage[];
    waiters: (() => void)[];
}

/** A queue's settings as SQS attribute names (strings), the form both CreateQueue and Pulumi's inputs reduce to. */
export type QueueAttributes = Partial<Record<"VisibilityTimeout" | "DelaySeconds" | "MaximumMessageSize" | "MessageRetentionPeriod" | "ReceiveMessageWaitTimeSeconds" | "RedrivePolicy" | "KmsMasterKeyId" | "SqsManagedSseEnabled" | "Policy", string>>;

/**
 * MD5 of message attributes as SQS computes it: names sorted, each name, data type and value length-prefixed,
 * value preceded by its transport type (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html#sqs-attributes-md5-message-digest-calculation).
 */
export function md5OfMessageAttributes(attributes: Record<string, MessageAttributeValue>): string {
    const hash = createHash("md5");
    const field = (bytes: Buffer) => {
        const length = Buffer.alloc(4);
        length.writeUInt32BE(bytes.length);
        hash.update(length).update(bytes);
    };
    for (const name of Object.keys(attributes).sort()) {
        const value = attributes[name];
        field(Buffer.from(name, "utf8"));
        field(Buffer.from(value.DataType, "utf8"));
        const binary = value.BinaryValue !== undefined;
        hash.update(Buffer.from([binary ? 2 : 1]));
        field(binary ? Buffer.from(value.BinaryValue!, "base64") : Buffer.from(value.StringValue ?? "", "utf8"));
    }
    return hash.digest("hex");
}

/** Longest visibility timeout, in seconds, SQS accepts (queue attribute or per message). */
const MAX_VISIBILITY_SECONDS = 43200;
/** The form of the receipt handles this sandbox issues: `<message id>:<receive id>`. */
const RECEIPT_HANDLE = /^[0-9a-f-]+:[0-9a-f-]+$/;

/** Bytes a message counts against MaximumMessageSize: body plus each attribute's name, type and value. */
function messageSize(body: string, attributes: Record<string, MessageAttributeValue>): number {
    return Buffer.byteLength(body) + Object.entries(attributes).reduce((total, [name, value]) =>
        total + Buffer.byteLength(name) + Buffer.byteLength(value.DataType)
        + (value.BinaryValue !== undefined ? Buffer.from(value.BinaryValue, "base64").length : Buffer.byteLength(value.StringValue ?? "")), 0);
}

/** The queues and their messages: visibility, delays, redrive and long polling; nothing about HTTP. */
export class SqsQueues {
    private readonly queues = new Map<string, LocalQueue>();

    /** Visibility timeouts and delays last as long as the clock says (its scale below 1 makes retry paths run in seconds). */
    constructor(protected readonly ctx: SandboxContext, protected readonly clock: Clock = REAL_TIME) {
        for (const resource of resourcesOfType(ctx.resources, "aws:sqs/queue:Queue")) {
            const inputs = resource.inputs;
            const defined = (value: unknown) => (value === undefined || value === null ? undefined : String(value));
            this.create(resource.state.name, {
                VisibilityTimeout: defined(inputs.visibilityTimeoutSeconds), DelaySeconds: defined(inputs.delaySeconds),
                MaximumMessageSize: defined(inputs.maxMessageSize), MessageRetentionPeriod: defined(inputs.messageRetentionSeconds),
                ReceiveMessageWaitTimeSeconds: defined(inputs.receiveWaitTimeSeconds), RedrivePolicy: defined(inputs.redrivePolicy),
                KmsMasterKeyId: defined(inputs.kmsMasterKeyId), SqsManagedSseEnabled: defined(inputs.sqsManagedSseEnabled),
            }, { arn: resource.state.arn, url: resource.state.url });
        }
    }

    /** Creates a queue, or returns the existing one when its attributes are the same (CreateQueue is idempotent). */
    create(name: string, attributes: QueueAttributes, identity?: { arn: string; url: string }): LocalQueue {
        const requested = Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== undefined)) as Record<string, string>;
        const existing = this.queues.get(name);
        if (existing) {
            if (Object.entries(requested).some(([key, value]) => existing.requested[key] !== undefined && existing.requested[key] !== value)) {
                throw new AwsError("QueueNameExists", `A queue already exists with the same name and a different value for attribute(s) ${Object.keys(requested).join(", ")}`);
            }
            return existing;
        }
        if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
            throw new AwsError("InvalidParameterValue", "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
        }
        const queue: LocalQueue = {
            name,
            arn: identity?.arn ?? `arn:aws:sqs:${this.ctx.region}:${this.ctx.accountId}:${name}`,
            url: identity?.url ?? `${this.ctx.endpoint}/${this.ctx.accountId}/${name}`,
            visibilityTimeoutMs: this.clock.ms(30), delayMs: 0, maximumMessageSize: 262144, messageRetentionSeconds: 345600, receiveWaitTimeSeconds: 0, sqsManagedSse: true,
            createdAt: Date.now(),
            requested,
            messages: [],
            waiters: [],
        };
        this.configure(queue, requested);
        this.queues.set(name, queue);
        return queue;
    }

    /** Applies attributes (CreateQueue's or SetQueueAttributes'); the ones not given keep their value. */
    configure(queue: LocalQueue, attributes: QueueAttributes): void {
        const number = (value: string | undefined, current: number) => (value === undefined ? current : Number(value));
        queue.visibilityTimeoutMs = attributes.VisibilityTimeout === undefined ? queue.visibilityTimeoutMs : this.clock.ms(Number(attributes.VisibilityTimeout));
        queue.delayMs = attributes.DelaySeconds === undefined ? queue.delayMs : this.clock.ms(Number(attributes.DelaySeconds));
        queue.maximumMessageSize = number(attributes.MaximumMessageSize, queue.maximumMessageSize);
        queue.messageRetentionSeconds = number(attributes.MessageRetentionPeriod, queue.messageRetentionSeconds);
        queue.receiveWaitTimeSeconds = number(attributes.ReceiveMessageWaitTimeSeconds, queue.receiveWaitTimeSeconds);
        if (attributes.RedrivePolicy !== undefined) {
            const redrive = attributes.RedrivePolicy ? JSON.parse(attributes.RedrivePolicy) : undefined;
            queue.deadLetterTargetArn = redrive?.deadLetterTargetArn;
            queue.maxReceiveCount = redrive ? Number(redrive.maxReceiveCount) : undefined;
        }
        if (attributes.KmsMasterKeyId !== undefined) {
            queue.kmsMasterKeyId = attributes.KmsMasterKeyId || undefined;
        }
        if (attributes.SqsManagedSseEnabled !== undefined || attributes.KmsMasterKeyId !== undefined) {
            queue.sqsManagedSse = attributes.SqsManagedSseEnabled !== "false" && queue.kmsMasterKeyId === undefined;
        }
    }

    list(prefix = ""): LocalQueue[] {
        return [...this.queues.values()].filter(queue => queue.name.startsWith(prefix)).sort((a, b) => (a.name < b.name ? -1 : 1));
    }

    remove(reference: string): void {
        const queue = this.queue(reference);
        this.wake(queue);
        this.queues.delete(queue.name);
    }

    /** A queue by name, URL or ARN. */
    queue(reference: string): LocalQueue {
        const name = reference.split(/[/:]/).pop() ?? "";
        const queue = this.queues.get(name);
        if (!queue) {
            throw new AwsError("QueueDoesNotExist", "The specified queue does not exist.");
        }
        return queue;
    }

    send(reference: string, body: string, attributes: Record<string, MessageAttributeValue> = {}, delaySeconds?: number): string {
        const queue = this.queue(reference);
        if (typeof body !== "string" || body.length === 0) {
            throw new AwsError("InvalidParameterValue", "The request must contain the parameter MessageBody as a non-empty string.");
        }
        if (messageSize(body, attributes) > queue.maximumMessageSize) {
            throw new AwsError("InvalidParameterValue", `One or more parameters are invalid. Reason: Message must be shorter than ${queue.maximumMessageSize} bytes.`);
        }
        const now = Date.now();
        const message: StoredMessage = { id: randomUUID(), body, attributes, sentAt: now, receiveCount: 0, visibleAt: now + (delaySeconds !== undefined ? this.clock.ms(delaySeconds) : queue.delayMs) };
        queue.messages.push(message);
        this.wake(queue);
        this.ctx.log({ kind: "event", message: `sqs ${queue.name} <- message ${message.id}` });
        return message.id;
    }

    /** Receives up to `max` visible messages, waiting up to `waitMs` for one; moves over-received ones to the DLQ. */
    async receive(reference: string, max: number, waitMs: number, visibilityTimeoutMs?: number): Promise<ReceivedMessage[]> {
        const queue = this.queue(reference);
        const deadline = Date.now() + waitMs;
        for (;;) {
            const received = this.takeVisible(queue, max, visibilityTimeoutMs ?? queue.visibilityTimeoutMs);
            if (received.length > 0 || Date.now() >= deadline) {
                return received;
            }
            await this.waitForVisible(queue, deadline);
        }
    }

    delete(reference: string, receiptHandle: string): void {
        const queue = this.queue(reference);
        const index = queue.messages.findIndex(message => message.receiptHandle === receiptHandle);
        if (index >= 0) {
            queue.messages.splice(index, 1);
        } else if (!RECEIPT_HANDLE.test(receiptHandle)) {
            throw new AwsError("ReceiptHandleIsInvalid", `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`);
        }
    }

    /**
     * Makes a message in flight visible again `seconds` from now (0 = now), as SQS does: the handle must be the one
     * of the message's latest receive, the message still in flight, and the new timeout within 12 hours of that
     * receive (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html).
     */
    changeVisibility(reference: string, receiptHandle: string, seconds: number): void {
        const queue = this.queue(reference);
        if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_VISIBILITY_SECONDS) {
            throw new AwsError("InvalidParameterValue", `Value ${seconds} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and ${MAX_VISIBILITY_SECONDS}, if provided.`);
        }
        if (!RECEIPT_HANDLE.test(String(receiptHandle))) {
            throw new AwsError("ReceiptHandleIsInvalid", `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`);
        }
        const message = queue.messages.find(item => item.receiptHandle === receiptHandle);
        // A deleted, redriven or since re-received message: its handle no longer names a receive (LocalStack: services/sqs/models.py update_visibility_timeout).
        if (!message) {
            throw new AwsError("InvalidParameterValue", `Value ${receiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`);
        }
        const now = Date.now();
        if (message.visibleAt <= now) {
            throw new AwsError("MessageNotInflight", "The specified message isn't in flight.");
        }
        if (now + this.clock.ms(seconds) > message.receivedAt! + this.clock.ms(MAX_VISIBILITY_SECONDS)) {
            throw new AwsError("InvalidParameterValue", `Value ${seconds} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [${MAX_VISIBILITY_SECONDS} seconds].`);
        }
        message.visibleAt = now + this.clock.ms(seconds);
        this.wake(queue);
    }

    /** Up to `max` messages as they stand, oldest first; unlike ReceiveMessage nothing is hidden, redriven or counted as a receive. */
    peek(reference: string, max: number): PeekedMessage[] {
        const now = Date.now();
        return this.queue(reference).messages.slice(0, max).map(message => ({
            MessageId: message.id, Body: message.body, SentTimestamp: message.sentAt, ApproximateReceiveCount: message.receiveCount,
            state: message.visibleAt <= now ? "visible" : message.receiveCount > 0 ? "in-flight" : "delayed",
        }));
    }

    counts(queue: LocalQueue): { visible: number; inFlight: number; delayed: number } {
        const now = Date.now();
        const visible = queue.messages.filter(message => message.visibleAt <= now).length;
        const inFlight = queue.messages.filter(message => message.visibleAt > now && message.receiveCount > 0).length;
        return { visible, inFlight, delayed: queue.messages.length - visible - inFlight };
    }

    async close(): Promise<void> {
        for (const queue of this.queues.values()) {
            this.wake(queue);
        }
    }

    private takeVisible(queue: LocalQueue, max: number, visibilityTimeoutMs: number): ReceivedMessage[] {
        const now = Date.now();
        const received: ReceivedMessage[] = [];
        for (const message of [...queue.messages]) {
            if (received.length >= max) {
                break;
            }
            if (message.visibleAt > now) {
                continue;
            }
            if (queue.maxReceiveCount !== undefined && queue.deadLetterTargetArn && message.receiveCount >= queue.maxReceiveCount) {
                this.redrive(queue, message);
                continue;
            }
            message.receiveCount++;
            message.firstReceivedAt ??= now;
            message.receivedAt = now;
            message.visibleAt = now + visibilityTimeoutMs;
            message.receiptHandle = `${message.id}:${randomUUID()}`;
            received.push({
                MessageId: message.id,
                ReceiptHandle: message.receiptHandle,
                MD5OfBody: md5Hex(message.body),
                Body: message.body,
                Attributes: {
                    ApproximateReceiveCount: String(message.receiveCount),
                    SentTimestamp: String(message.sentAt),
                    ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
                    SenderId: this.ctx.accountId,
                },
                ...(Object.keys(message.attributes).length > 0 ? { MessageAttributes: message.attributes } : {}),
            });
        }
        if (received.length > 0) {
            // Messages now in flight become visible again when their timeout ends; long polls must notice.
            setTimeout(() => this.wake(queue), visibilityTimeoutMs + 5).unref();
        }
        return received;
    }

    private redrive(queue: LocalQueue, message: StoredMessage): void {
        queue.messages.splice(queue.messages.indexOf(message), 1);
        const deadLetter = this.queue(queue.deadLetterTargetArn!);
        deadLetter.messages.push({ ...message, receiveCount: 0, firstReceivedAt: undefined, receiptHandle: undefined, visibleAt: Date.now() });
        this.wake(deadLetter);
        this.ctx.log({ kind: "event", message: `sqs ${queue.name} -> dead-letter ${deadLetter.name}: message ${message.id} after ${message.receiveCount} receives` });
    }

    private wake(queue: LocalQueue): void {
        for (const resolve of queue.waiters.splice(0)) {
            resolve();
        }
    }

    private waitForVisible(queue: LocalQueue, deadline: number): Promise<void> {
        const now = Date.now();
        const nextVisible = Math.min(...queue.messages.map(message => message.visibleAt).filter(at => at > now), deadline);
        return new Promise(resolve => {
            const timer = setTimeout(resolve, Math.max(0, nextVisible - now) + 1);
            queue.waiters.push(() => {
                clearTimeout(timer);
                resolve();
            });
        });
    }
}
