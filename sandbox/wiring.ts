import type { SandboxContext } from "./cloud";
import type { RecordedResource } from "./mock-cloud";
import { resourcesOfType } from "./cloud";
import type { ReceivedMessage, SqsService } from "./services/sqs";

/** Pollers per mapping: enough for throughput, bounded so 2 shared cores stay usable. */
const POLLERS_PER_MAPPING = 4;
/** Long-poll wait of one receive; also how quickly a closing sandbox's pollers stop. */
const POLL_WAIT_MS = 200;

interface SqsEventRecord {
    messageId: string; receiptHandle: string; body: string; attributes: Record<string, string>;
    messageAttributes: Record<string, { stringValue?: string; binaryValue?: string; stringListValues: string[]; binaryListValues: string[]; dataType: string }>;
    md5OfBody: string; eventSource: "aws:sqs"; eventSourceARN: string; awsRegion: string;
}

/**
 * A deployed SQS event source mapping. Disabling it (UpdateEventSourceMapping `Enabled: false`) parks its pollers
 * until it is enabled again; `stop()` resolves once they have finished their batches.
 */
export class EventSourceMapping {
    readonly uuid: string;
    private running = true;
    private enabledNow: boolean;
    /** Pollers parked while the mapping is disabled. */
    private parked: (() => void)[] = [];
    private readonly loops: Promise<void>[];
    /** Whether the execution role may poll the queue, checked once as Lambda checks it at creation. */
    private readonly permitted: Promise<boolean>;

    constructor(private readonly ctx: SandboxContext, private readonly sqs: SqsService, readonly resource: RecordedResource) {
        this.uuid = String(resource.state.uuid ?? resource.id);
        this.enabledNow = resource.inputs.enabled !== false;
        this.permitted = mayPoll(ctx, resource, sqs.queue(resource.inputs.eventSourceArn).arn);
        this.loops = Array.from({ length: POLLERS_PER_MAPPING }, () => this.poll());
    }

    get enabled(): boolean {
        return this.enabledNow;
    }

    set enabled(value: boolean) {
        this.enabledNow = value;
        this.parked.splice(0).forEach(resume => resume());
    }

    async stop(): Promise<void> {
        this.running = false;
        this.parked.splice(0).forEach(resume => resume());
        await Promise.allSettled(this.loops);
    }

    private async poll(): Promise<void> {
        const mapping = this.resource;
        const queue = this.sqs.queue(mapping.inputs.eventSourceArn);
        const batchSize: number = mapping.inputs.batchSize ?? 10;
        const reportsFailures = (mapping.inputs.functionResponseTypes ?? []).includes("ReportBatchItemFailures");
        if (!await this.permitted) {
            return;
        }
        while (this.running) {
            if (!this.enabledNow) {
                await new Promise<void>(resolve => this.parked.push(resolve));
                continue;
            }
            const messages = await this.sqs.receive(queue.name, batchSize, POLL_WAIT_MS).catch(error => {
                this.ctx.log({ kind: "error", message: `event source mapping ${mapping.name}: ${(error as Error).message}` });
                return [];
            });
            if (messages.length > 0 && !this.enabledNow) {
                // Disabled while this receive waited: the batch goes back to the queue untouched.
                messages.forEach(message => this.sqs.changeVisibility(queue.name, message.ReceiptHandle, 0));
            }
            if (messages.length === 0 || !this.running || !this.enabledNow) {
                continue;
            }
            const records = messages.map(message => toRecord(message, queue.arn, this.ctx.region));
            try {
                const result = await this.ctx.functions.invoke(mapping.inputs.functionName, { Records: records }) as { batchItemFailures?: { itemIdentifier: string }[] } | null;
                const failed = new Set(reportsFailures ? (result?.batchItemFailures ?? []).map(item => item.itemIdentifier) : []);
                const unknown = [...failed].some(id => !messages.some(message => message.MessageId === id));
                for (const message of messages.filter(item => !unknown && !failed.has(item.MessageId))) {
                    this.sqs.delete(queue.name, message.ReceiptHandle);
                }
            } catch {
                // The whole batch becomes visible again after the visibility timeout, as with Lambda.
            }
        }
    }
}

/**
 * Starts every `aws:lambda/eventSourceMapping:EventSourceMapping` on an SQS queue: batches of up to
 * `batchSize`, deleted on success; with ReportBatchItemFailures only the reported ids stay on the queue,
 * otherwise an error leaves the whole batch to reappear after the visibility timeout. A mapping deployed
 * with `enabled: false` exists but does not poll.
 */
export function startEventSourceMappings(ctx: SandboxContext, sqs: SqsService): EventSourceMapping[] {
    return resourcesOfType(ctx.resources, "aws:lambda/eventSourceMapping:EventSourceMapping")
        .filter(mapping => String(mapping.inputs.eventSourceArn).startsWith("arn:aws:sqs:"))
        .filter(mapping => visibilityCoversTimeout(ctx, mapping))
        .map(mapping => new EventSourceMapping(ctx, sqs, mapping));
}

/** The synthesized function a mapping invokes, named by name or ARN. */
function mappedFunction(ctx: SandboxContext, mapping: RecordedResource): RecordedResource | undefined {
    const functionName = String(mapping.inputs.functionName);
    return resourcesOfType(ctx.resources, "aws:lambda/function:Function").find(resource => resource.state.name === functionName || resource.state.arn === functionName);
}

/** The actions Lambda polls a queue with, as the function's execution role (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions). */
const POLLING_OPERATIONS = ["ReceiveMessage", "DeleteMessage", "GetQueueAttributes"];

/** Lambda refuses a mapping whose execution role may not poll the queue (or decrypt its messages): InvalidParameterValueException from CreateEventSourceMapping. */
async function mayPoll(ctx: SandboxContext, mapping: RecordedResource, queueArn: string): Promise<boolean> {
    const fn = mappedFunction(ctx, mapping);
    const principal = ctx.identities.actingAs(fn?.inputs.role, String(fn?.state.name ?? mapping.inputs.functionName));
    try {
        for (const operation of POLLING_OPERATIONS) {
            await ctx.authorizer?.authorize(principal, "sqs", operation, { QueueUrl: queueArn });
        }
        return true;
    } catch (error) {
        ctx.log({ kind: "error", message: `event source mapping ${mapping.name} not deployed: The provided execution role does not have permissions to poll ${queueArn}: ${(error as Error).message}` });
        return false;
    }
}

/**
 * Lambda refuses an SQS mapping whose queue hides a message for less time than the function may run, or a batch would
 * come back while its invocation still runs: InvalidParameterValueException from CreateEventSourceMapping
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
 */
function visibilityCoversTimeout(ctx: SandboxContext, mapping: RecordedResource): boolean {
    const queue = resourcesOfType(ctx.resources, "aws:sqs/queue:Queue").find(resource => resource.state.arn === mapping.inputs.eventSourceArn);
    const fn = mappedFunction(ctx, mapping);
    const visibilitySeconds: number = queue?.inputs.visibilityTimeoutSeconds ?? 30;
    const timeoutSeconds: number = fn?.inputs.timeout ?? 3;
    if (visibilitySeconds >= timeoutSeconds) {
        return true;
    }
    ctx.log({ kind: "error", message: `event source mapping ${mapping.name} not deployed: Queue visibility timeout: ${visibilitySeconds} seconds is less than Function timeout: ${timeoutSeconds} seconds` });
    return false;
}

function toRecord(message: ReceivedMessage, queueArn: string, region: string): SqsEventRecord {
    return {
        messageId: message.MessageId,
        receiptHandle: message.ReceiptHandle,
        body: message.Body,
        attributes: message.Attributes,
        messageAttributes: Object.fromEntries(Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name,
            { ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}), ...(value.BinaryValue !== undefined ? { binaryValue: value.BinaryValue } : {}), stringListValues: [], binaryListValues: [], dataType: value.DataType }])),
        md5OfBody: message.MD5OfBody,
        eventSource: "aws:sqs",
        eventSourceARN: queueArn,
        awsRegion: region,
    };
}
