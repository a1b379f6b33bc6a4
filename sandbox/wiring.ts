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

/** A running SQS event source mapping; `stop()` resolves once its pollers have finished their batches. */
export interface Poller { stop(): Promise<void> }

/**
 * Starts every `aws:lambda/eventSourceMapping:EventSourceMapping` on an SQS queue: batches of up to
 * `batchSize`, deleted on success; with ReportBatchItemFailures only the reported ids stay on the queue,
 * otherwise an error leaves the whole batch to reappear after the visibility timeout.
 */
export function startEventSourceMappings(ctx: SandboxContext, sqs: SqsService): Poller[] {
    return resourcesOfType(ctx.resources, "aws:lambda/eventSourceMapping:EventSourceMapping")
        .filter(mapping => String(mapping.inputs.eventSourceArn).startsWith("arn:aws:sqs:") && mapping.inputs.enabled !== false)
        .filter(mapping => visibilityCoversTimeout(ctx, mapping))
        .map(mapping => {
            const queue = sqs.queue(mapping.inputs.eventSourceArn);
            const batchSize: number = mapping.inputs.batchSize ?? 10;
            const reportsFailures = (mapping.inputs.functionResponseTypes ?? []).includes("ReportBatchItemFailures");
            let running = true;
            const permitted = mayPoll(ctx, mapping, queue.arn);
            const poll = async (): Promise<void> => {
                if (!await permitted) {
                    return;
                }
                while (running) {
                    const messages = await sqs.receive(queue.name, batchSize, POLL_WAIT_MS).catch(error => {
                        ctx.log({ kind: "error", message: `event source mapping ${mapping.name}: ${(error as Error).message}` });
                        return [];
                    });
                    if (messages.length === 0 || !running) {
                        continue;
                    }
                    const records = messages.map(message => toRecord(message, queue.arn, ctx.region));
                    try {
                        const result = await ctx.functions.invoke(mapping.inputs.functionName, { Records: records }) as { batchItemFailures?: { itemIdentifier: string }[] } | null;
                        const failed = new Set(reportsFailures ? (result?.batchItemFailures ?? []).map(item => item.itemIdentifier) : []);
                        const unknown = [...failed].some(id => !messages.some(message => message.MessageId === id));
                        for (const message of messages.filter(item => !unknown && !failed.has(item.MessageId))) {
                            sqs.delete(queue.name, message.ReceiptHandle);
                        }
                    } catch {
                        // The whole batch becomes visible again after the visibility timeout, as with Lambda.
                    }
                }
            };
            const loops = Array.from({ length: POLLERS_PER_MAPPING }, () => poll());
            return { stop: async () => { running = false; await Promise.allSettled(loops); } };
        });
}

/** The actions Lambda polls a queue with, as the function's execution role (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions). */
const POLLING_OPERATIONS = ["ReceiveMessage", "DeleteMessage", "GetQueueAttributes"];

/** Lambda refuses a mapping whose execution role may not poll the queue (or decrypt its messages): InvalidParameterValueException from CreateEventSourceMapping. */
async function mayPoll(ctx: SandboxContext, mapping: RecordedResource, queueArn: string): Promise<boolean> {
    const functionName = String(mapping.inputs.functionName);
    const fn = resourcesOfType(ctx.resources, "aws:lambda/function:Function").find(resource => resource.state.name === functionName || resource.state.arn === functionName);
    const principal = ctx.identities.actingAs(fn?.inputs.role, String(fn?.state.name ?? functionName));
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
    const functionName = String(mapping.inputs.functionName);
    const fn = resourcesOfType(ctx.resources, "aws:lambda/function:Function").find(resource => resource.state.name === functionName || resource.state.arn === functionName);
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
