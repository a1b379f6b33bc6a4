import type { Handler } from "aws-lambda";
import { array, Infer, integer, min, optional, string, type } from "superstruct";
import { loadSettings } from "../shared/settings";
import { check } from "../shared/validation";
import { failureNotificationSettings } from "./contract";
import { fitMiddle, fitText, oneLine, utf8Bytes } from "./short-text";

/** Most UTF-8 bytes of a notification body, with up to ten failed buckets. */
const MAX_MESSAGE_BYTES = 2048;
/** Most characters of one failed bucket's line: bucket, error name and cause. */
const MAX_FAILURE_LINE_CHARS = 200;
/** SNS Publish: subjects are ASCII, "less than 100 characters long" (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html). */
const MAX_SUBJECT_CHARS = 99;
/** Most characters of the key in the body; the tracking record holds it whole. */
const MAX_KEY_CHARS = 120;

/**
 * The run summary the state machine passes (ProcessResults' output); `failures` are the Map's caught copy errors.
 * Built in the factory: Pulumi cannot serialize a module-level superstruct schema into the archive.
 */
function runSummaryShape() {
    return type({
        sourceBucket: string(),
        sourceKey: string(),
        executionId: string(),
        status: string(),
        totalBuckets: min(integer(), 1),
        succeededBuckets: array(string()),
        failures: array(type({ bucket: string(), error: string(), cause: optional(string()) })),
    });
}

type RunSummary = Infer<ReturnType<typeof runSummaryShape>>;
export interface FailureNotification { subject: string; message: string }

/** Why a copy failed, on one line: a Lambda error document's errorMessage, otherwise the Cause as it came. */
function reasonOf(failure: RunSummary["failures"][number]): string {
    const cause = failure.cause ?? "";
    try {
        const document: unknown = JSON.parse(cause);
        if (typeof document === "object" && document !== null && typeof (document as { errorMessage?: unknown }).errorMessage === "string") {
            return oneLine((document as { errorMessage: string }).errorMessage);
        }
    } catch {
        // A Cause from Step Functions or the Lambda service itself (timeouts, throttling) is plain text.
    }
    return oneLine(cause);
}

/** The Step Functions console page of an execution. */
function consoleLinkOf(executionArn: string): string {
    const region = executionArn.split(":")[3];
    return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/** Printable ASCII only: accents dropped (ü → u), anything else that is not printable ASCII as `?`. */
function ascii(text: string): string {
    return text.normalize("NFKD").replace(/\p{M}/gu, "").replace(/[^\x20-\x7e]/g, "?");
}

function subjectOf(event: RunSummary): string {
    const prefix = `File copy failed: ${event.failures.length} of ${event.totalBuckets} destinations for `;
    return prefix + fitMiddle(ascii(oneLine(event.sourceKey)), MAX_SUBJECT_CHARS - prefix.length, "...");
}

/**
 * The report a person reads: which file, one line per failed bucket (error name and cause), and where to look.
 * The bucket lines share what the rest leaves of MAX_MESSAGE_BYTES, each at most MAX_FAILURE_LINE_CHARS.
 */
function messageOf(event: RunSummary, trackingTable: string, copyLogGroup: string): string {
    const { failures, succeededBuckets } = event;
    const key = fitMiddle(event.sourceKey.replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, "?"), MAX_KEY_CHARS);
    const head = [
        `⚠️ File copy failed for ${failures.length} of ${event.totalBuckets} destinations (status ${event.status})`,
        "",
        `📄 File: s3://${event.sourceBucket}/${key}`,
        `❌ Failed (${failures.length}):`,
    ];
    const tail = [
        `✅ Succeeded (${succeededBuckets.length}): ${succeededBuckets.join(", ") || "none"}`,
        "",
        "🔍 Where to look",
        `🆔 Execution: ${event.executionId}`,
        `🖥️ Console: ${consoleLinkOf(event.executionId)}`,
        `🗂️ Tracking record: DynamoDB table ${trackingTable}, this fileKey and sourceBucket`,
        `📜 Full errors with stack traces: CloudWatch Logs ${copyLogGroup}`,
    ];
    const lines = failures.map(failure => {
        const reason = reasonOf(failure);
        return fitText(`• ${failure.bucket} — ${failure.error}${reason ? `: ${reason}` : ""}`, MAX_FAILURE_LINE_CHARS);
    });
    // Shortest lines first: what a short line leaves of its equal share goes to the longer ones.
    let room = MAX_MESSAGE_BYTES - utf8Bytes([...head, ...tail].join("\n")) - lines.length;
    const order = lines.map((_, index) => index).sort((a, b) => utf8Bytes(lines[a]) - utf8Bytes(lines[b]));
    order.forEach((index, position) => {
        lines[index] = fitText(lines[index], MAX_FAILURE_LINE_CHARS, Math.floor(room / (order.length - position)));
        room -= utf8Bytes(lines[index]);
    });
    return [...head, ...lines, ...tail].join("\n");
}

/**
 * FormatFailureNotification: turns the run's failures into the SNS subject and message SendFailureNotification
 * publishes, naming the tracking table and the copy function's log group (which has the stack traces).
 */
export function failureNotificationHandler(): Handler<unknown, FailureNotification> {
    const { trackingTable, copyLogGroup } = loadSettings(failureNotificationSettings());
    const runSummary = runSummaryShape();
    return async input => {
        const checked = check(input, runSummary);
        if (!checked.ok) {
            throw Object.assign(new Error(`Not a file-copy run summary: ${checked.problems.join("; ")}`), { name: "InvalidRunSummary" });
        }
        return { subject: subjectOf(checked.value), message: messageOf(checked.value, trackingTable, copyLogGroup) };
    };
}
