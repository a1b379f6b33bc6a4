import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { createHash } from "crypto";
import { loadSettings } from "../shared/settings";
import { loggingFailures } from "../shared/sqs-records";
import { check } from "../shared/validation";
import { buildRequestMessage, buildWorkerSettings } from "./contract";

/** The same SQS message always maps to the same build id, so a redelivery cannot make a second artifact. */
export function buildIdOf(commit: string, messageId: string): string {
    return `${commit}-${createHash("sha256").update(messageId).digest("hex").slice(0, 12)}`;
}

export function artifactKeyOf(buildId: string): string {
    return `build-${buildId}.zip`;
}

function isPreconditionFailed(error: unknown): boolean {
    const failure = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    return failure?.name === "PreconditionFailed" || failure?.$metadata?.httpStatusCode === 412;
}

export const IF_NONE_MATCH_UNSUPPORTED = "build-worker: the @aws-sdk/client-s3 this Lambda runtime provides drops PutObject's IfNoneMatch "
    + "(it needs 3.635.0 or newer), so a redelivered build request would overwrite its artifact instead of being written once. "
    + "Use a runtime release whose bundled SDK is newer, or provide a newer @aws-sdk/client-s3 in a Lambda layer.";

/**
 * Whether the loaded client-s3 puts `If-None-Match` on the wire: it builds a PutObject request through the client's
 * own middleware and stops before anything is signed or sent. Older clients drop members they do not know silently.
 */
export async function putObjectSendsIfNoneMatch(): Promise<boolean> {
    const probe = new S3Client({ region: "us-east-1", credentials: { accessKeyId: "probe", secretAccessKey: "probe" } });
    const command = new PutObjectCommand({ Bucket: "probe", Key: "probe", Body: "", IfNoneMatch: "*" });
    let ifNoneMatch: string | undefined;
    command.middlewareStack.add(() => async args => {
        ifNoneMatch = (args.request as { headers?: Record<string, string> }).headers?.["if-none-match"];
        return { output: { $metadata: {} }, response: undefined };
    }, { step: "build", priority: "low", name: "ifNoneMatchProbe" });
    await command.resolveMiddleware(probe.middlewareStack, probe.config, {})({ input: command.input });
    return ifNoneMatch === "*";
}

/**
 * `build-worker`: consumes build requests `{"commit": "..."}`, simulates a build and uploads
 * `build-<id>.zip` to the builds bucket exactly once per message (`IfNoneMatch: "*"`). A bad body fails
 * only its own record (partial batch response), logged with its id and reason; the DLQ after maxReceiveCount.
 * Every invocation fails while the runtime's client-s3 would drop IfNoneMatch, so nothing is ever written without it.
 */
export function buildWorkerHandler(): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
    const { buildsBucket: bucket } = loadSettings(buildWorkerSettings());
    const s3 = new S3Client({});
    const processor = new BatchProcessor(EventType.SQS);
    // The runtime's SDK is "a specific minor version ... depends on the runtime version and your AWS Region" (Lambda guide,
    // https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html#nodejs-sdk-included); IfNoneMatch arrived in client-s3 3.635.0.
    const ifNoneMatchSent = putObjectSendsIfNoneMatch().then(sent => {
        if (!sent) {
            throw new Error(IF_NONE_MATCH_UNSUPPORTED);
        }
    });
    ifNoneMatchSent.catch(error => console.error(JSON.stringify({ event: "sdk-unsupported", message: (error as Error).message })));
    const requestSchema = buildRequestMessage().struct;

    const buildOne = async (record: SQSRecord): Promise<void> => {
        let body: unknown;
        try {
            body = JSON.parse(record.body);
        } catch (error) {
            throw new Error(`body is not JSON (${(error as Error).message})`);
        }
        const checked = check(body, requestSchema);
        if (!checked.ok) {
            throw new Error(`invalid build request: ${checked.problems.join("; ")}`);
        }
        const { commit } = checked.value;
        const buildId = buildIdOf(commit, record.messageId);
        const key = artifactKeyOf(buildId);
        // The simulated build's output: a manifest standing in for the compiled artifact.
        const artifact = JSON.stringify({ buildId, commit, messageId: record.messageId, builtAt: new Date().toISOString() });
        try {
            await s3.send(new PutObjectCommand({
                Bucket: bucket,
                Key: key,
                Body: artifact,
                ContentType: "application/zip",
                Metadata: { commit, "build-id": buildId },
                IfNoneMatch: "*",
            }));
            console.log(JSON.stringify({ event: "build-uploaded", buildId, bucket, key }));
        } catch (error) {
            if (!isPreconditionFailed(error)) {
                throw error;
            }
            console.log(JSON.stringify({ event: "build-already-uploaded", buildId, bucket, key }));
        }
    };

    return async (event, context) => {
        await ifNoneMatchSent;
        return processPartialResponse(event, loggingFailures("build-worker", buildOne), processor, { context, throwOnFullBatchFailure: false });
    };
}
