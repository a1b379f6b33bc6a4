import type { SQSRecord } from "aws-lambda";

/**
 * Wraps one queue consumer's record handler so that every failure is logged with the message id, its receive
 * count and the reason before SQS redelivers it: redrive to a DLQ carries no reason, the log line does.
 */
export function loggingFailures(consumer: string, handle: (record: SQSRecord) => Promise<void>): (record: SQSRecord) => Promise<void> {
    return async record => {
        try {
            await handle(record);
        } catch (error) {
            const { name, message } = error instanceof Error ? error : { name: "Error", message: String(error) };
            console.error(JSON.stringify({
                event: "message-failed", consumer, messageId: record.messageId,
                receiveCount: Number(record.attributes?.ApproximateReceiveCount), reason: `${name}: ${message}`,
            }));
            throw error;
        }
    };
}

/** The first `maxCharacters` code points of `text` with any lone surrogate replaced by U+FFFD, so it can be stored as UTF-8. */
export function storableExcerpt(text: string, maxCharacters: number): string {
    return Array.from(text).slice(0, maxCharacters).join("").replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}
