import type * as http from "http";
import { randomUUID } from "crypto";
import { Clock, REAL_TIME } from "../clock";
import { AwsError, md5Hex, resourcesOfType, SandboxContext, SandboxService, sendJson } from "../cloud";

export interface MessageAttributeValue { DataType: string; StringValue?: string; BinaryValue?: string }

interface StoredMessage {
    id: string;
    body: string;
    attributes: Record<string, MessageAttributeValue>;
    sentAt: number;
    firstReceivedAt?: number;
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

export interface LocalQueue {
    name: string;
    arn: string;
    url: string;
    visibilityTimeoutMs: number;
    delayMs: number;
    deadLetterTargetArn?: string;
    maxReceiveCount?: number;
    messages: StoredMessage[];
    waiters: (() => void)[];
}

/** SQS over AWS JSON 1.0 (what SDK v3 speaks) for the synthesized queues, with visibility, redrive and long polling. */
export class SqsService implements SandboxService {
    private readonly queues = new Map<string, LocalQueue>();

    /** Visibility timeouts and delays last as long as the clock says (its scale below 1 makes retry paths run in seconds). */
    constructor(private readonly ctx: SandboxContext, private readonly clock: Clock = REAL_TIME) {
        for (const resource of resourcesOfType(ctx.resources, "aws:sqs/queue:Queue")) {
            const redrive = resource.inputs.redrivePolicy ? JSON.parse(resource.inputs.redrivePolicy) : undefined;
            this.queues.set(resource.state.name, {
                name: resource.state.name,
                arn: resource.state.arn,
                url: resource.state.url,
                visibilityTimeoutMs: clock.ms(resource.inputs.visibilityTimeoutSeconds ?? 30),
                delayMs: clock.ms(resource.inputs.delaySeconds ?? 0),
                deadLetterTargetArn: redrive?.deadLetterTargetArn,
                maxReceiveCount: redrive ? Number(redrive.maxReceiveCount) : undefined,
                messages: [],
                waiters: [],
            });
        }
    }

    /** A queue by name, URL or ARN. */
    queue(reference: string): LocalQueue {
        const name = reference.split(/[/:]/).pop() ?? "";
        const queue = this.queues.get(name);
        if (!queue) {
            throw new AwsError("AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.");
        }
        return queue;
    }

    send(reference: string, body: string, attributes: Record<string, MessageAttributeValue> = {}, delaySeconds?: number): string {
        const queue = this.queue(reference);
        if (typeof body !== "string" || body.length === 0) {
            throw new AwsError("InvalidParameterValue", "The request must contain the parameter MessageBody as a non-empty string.");
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
        } else if (!/^[0-9a-f-]+:[0-9a-f-]+$/.test(receiptHandle)) {
            throw new AwsError("ReceiptHandleIsInvalid", `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`);
        }
    }

    /** Makes a received message visible again after `seconds` (0 = now). */
    changeVisibility(reference: string, receiptHandle: string, seconds: number): void {
        const queue = this.queue(reference);
        const message = queue.messages.find(item => item.receiptHandle === receiptHandle);
        if (message) {
            message.visibleAt = Date.now() + this.clock.ms(seconds);
            this.wake(queue);
        }
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

    async handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<boolean> {
        const target = String(req.headers["x-amz-target"] ?? "");
        if (!target.startsWith("AmazonSQS.")) {
            return false;
        }
        try {
            const result = await this.operation(target.slice("AmazonSQS.".length), JSON.parse(body.toString("utf8") || "{}"));
            sendJson(res, 200, result);
        } catch (error) {
            const code = error instanceof AwsError ? error.code : "InternalFailure";
            const shape = code === "AWS.SimpleQueueService.NonExistentQueue" ? "QueueDoesNotExist" : code;
            sendJson(res, error instanceof AwsError ? error.status : 500, { __type: `com.amazonaws.sqs#${shape}`, message: (error as Error).message },
                "application/x-amz-json-1.0", { "x-amzn-query-error": `${code};Sender` });
        }
        return true;
    }

    private async operation(action: string, input: Record<string, any>): Promise<unknown> {
        switch (action) {
            case "SendMessage": {
                const id = this.send(input.QueueUrl, input.MessageBody, input.MessageAttributes, input.DelaySeconds);
                return { MessageId: id, MD5OfMessageBody: md5Hex(input.MessageBody) };
            }
            case "SendMessageBatch": {
                const queue = this.queue(input.QueueUrl);
                const successful = (input.Entries as any[]).map(entry => ({
                    Id: entry.Id,
                    MessageId: this.send(queue.name, entry.MessageBody, entry.MessageAttributes, entry.DelaySeconds),
                    MD5OfMessageBody: md5Hex(entry.MessageBody),
                }));
                return { Successful: successful, Failed: [] };
            }
            case "ReceiveMessage": {
                const messages = await this.receive(input.QueueUrl, input.MaxNumberOfMessages ?? 1, (input.WaitTimeSeconds ?? 0) * 1000,
                    input.VisibilityTimeout !== undefined ? this.clock.ms(input.VisibilityTimeout) : undefined);
                return messages.length > 0 ? { Messages: messages } : {};
            }
            case "DeleteMessage":
                this.delete(input.QueueUrl, input.ReceiptHandle);
                return {};
            case "DeleteMessageBatch":
                for (const entry of input.Entries as any[]) {
                    this.delete(input.QueueUrl, entry.ReceiptHandle);
                }
                return { Successful: (input.Entries as any[]).map(entry => ({ Id: entry.Id })), Failed: [] };
            case "ChangeMessageVisibility":
                this.changeVisibility(input.QueueUrl, input.ReceiptHandle, input.VisibilityTimeout);
                return {};
            case "GetQueueUrl":
                return { QueueUrl: this.queue(input.QueueName).url };
            case "GetQueueAttributes": {
                const queue = this.queue(input.QueueUrl);
                const counts = this.counts(queue);
                const attributes: Record<string, string> = {
                    QueueArn: queue.arn,
                    ApproximateNumberOfMessages: String(counts.visible),
                    ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
                    ApproximateNumberOfMessagesDelayed: String(counts.delayed),
                    VisibilityTimeout: String(Math.round(this.clock.seconds(queue.visibilityTimeoutMs))),
                    ...(queue.deadLetterTargetArn ? { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: queue.deadLetterTargetArn, maxReceiveCount: queue.maxReceiveCount }) } : {}),
                };
                const wanted: string[] = input.AttributeNames ?? ["All"];
                return { Attributes: wanted.includes("All") ? attributes : Object.fromEntries(Object.entries(attributes).filter(([key]) => wanted.includes(key))) };
            }
            case "PurgeQueue":
                this.queue(input.QueueUrl).messages.length = 0;
                return {};
            case "ListQueues":
                return { QueueUrls: [...this.queues.values()].filter(queue => queue.name.startsWith(input.QueueNamePrefix ?? "")).map(queue => queue.url) };
            default:
                throw new AwsError("InvalidAction", `The action ${action} is not valid for this endpoint.`);
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
