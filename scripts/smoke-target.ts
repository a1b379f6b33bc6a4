import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { DescribeStateMachineCommand, SFNClient } from "@aws-sdk/client-sfn";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import * as os from "os";
import { type Infer, integer, min, nonempty, record, refine, string, type, validate } from "superstruct";

/** The smoke could not start: an output is missing or malformed, or nothing answers where the outputs point. No check ran. */
export class SmokeNotRun extends Error {}

/** A request silent this long has failed: twice API Gateway's 29 s integration timeout (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html), room for a loaded machine. */
export const REQUEST_TIMEOUT_MS = 60_000;
/** How long the pre-flight calls wait for any answer before the smoke stops without running a check. */
const PREFLIGHT_TIMEOUT_MS = 10_000;
/** Connections refused or never made (Node's net/dns error codes, undici's connect timeout): the target is not there. */
const NO_ANSWER_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

const url = refine(string(), "url", value => /^https?:\/\/\S+$/.test(value) || `expected an http(s) URL, got ${JSON.stringify(value)}`);
const name = nonempty(string());
const stateMachineArn = refine(string(), "arn", value => /^arn:[\w-]+:states:[\w-]+:\d{12}:stateMachine:\S+$/.test(value) || `expected a state machine ARN, got ${JSON.stringify(value)}`);
const bucketsByRegion = refine(record(string(), name), "non-empty", value => Object.keys(value).length > 0 || "expected at least one regional bucket");

/** The outputs the checks read, as `pulumi stack output --json` prints them; other outputs are ignored. */
const SmokeOutputsShape = type({
    buildsApiUrl: url, stepFunctionApiUrl: url, orderApiUrl: url, eventApiUrl: url,
    globalBuildsBucket: name, regionalBuckets: bucketsByRegion, hostsPerRegion: min(integer(), 1), hostDeploymentTable: name,
    fileCopyStateMachineArn: stateMachineArn, fileCopyTrackingTable: name, eventBucket: name, eventsTable: name,
});
export type SmokeOutputs = Infer<typeof SmokeOutputsShape>;

/** The outputs the checks need, or SmokeNotRun naming every one that is missing or malformed. */
export function smokeOutputs(outputs: Record<string, unknown>): SmokeOutputs {
    const [error, valid] = validate(outputs, SmokeOutputsShape);
    if (error) {
        const problems = error.failures().map(failure => (failure.value === undefined && failure.path.length === 1
            ? `${failure.key} is missing`
            : `${failure.path.join(".")}: ${failure.message}`));
        throw new SmokeNotRun(`stack outputs cannot be smoke-tested: ${problems.join("; ")}`);
    }
    return valid;
}

/** The stack's region, from its state machine ARN: the caller's default region may be another one. */
export function stackRegion(outputs: SmokeOutputs): string {
    return outputs.fileCopyStateMachineArn.split(":")[3];
}

export interface SmokeClients { s3: S3Client; dynamoDb: DynamoDBClient; dynamo: DynamoDBDocumentClient; sfn: SFNClient }

/** SDK clients in `region`; endpoint and credentials come from the standard AWS environment (default credential chain). */
export function smokeClients(region: string): SmokeClients {
    // No connection within 5 s or a silent socket fails the call instead of waiting out the OS's TCP timeouts (minutes).
    const config = { region, requestHandler: { connectionTimeout: 5_000, socketTimeout: REQUEST_TIMEOUT_MS } };
    const dynamoDb = new DynamoDBClient(config);
    return {
        // Path-style S3 whenever an endpoint override is set: LocalStack and the sandbox need no bucket DNS then.
        s3: new S3Client({ ...config, forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL) }),
        dynamoDb,
        dynamo: DynamoDBDocumentClient.from(dynamoDb),
        sfn: new SFNClient(config),
    };
}

/** Where the checks go, for the first line of the report. */
export function describeTarget(region: string): string {
    return `${process.env.AWS_ENDPOINT_URL ? `endpoint ${process.env.AWS_ENDPOINT_URL}` : "AWS endpoints"}, region ${region}`;
}

/** True when a call got no answer at all (refused, unresolvable, timed out), as opposed to an error answer. */
export function gotNoAnswer(error: unknown): boolean {
    const { name, code, cause } = (error ?? {}) as { name?: string; code?: string; cause?: { code?: string } };
    return name === "TimeoutError" || name === "AbortError" || NO_ANSWER_CODES.has(code ?? "") || NO_ANSWER_CODES.has(cause?.code ?? "");
}

/** `name: message` (no name for a plain Error), with the network cause fetch hides behind "fetch failed". */
export function describeError(error: unknown): string {
    const { name, message, cause } = error as { name?: string; message?: string; cause?: { message?: string; code?: string } };
    return `${name && name !== "Error" ? `${name}: ` : ""}${message}${cause ? ` (${cause.message || cause.code})` : ""}`;
}

/**
 * One cheap call per service and API the checks use, all at once: any answer, even an error, counts. Throws
 * SmokeNotRun naming each call that got none, so a dead target fails in seconds instead of every check's deadline.
 */
export async function checkTargetAnswers(outputs: SmokeOutputs, clients: SmokeClients, region: string): Promise<void> {
    const within = () => ({ abortSignal: AbortSignal.timeout(PREFLIGHT_TIMEOUT_MS) });
    const apiUrls = [...new Set([outputs.buildsApiUrl, outputs.stepFunctionApiUrl, outputs.orderApiUrl, outputs.eventApiUrl])];
    const probes: [string, () => Promise<unknown>][] = [
        [`S3 HeadBucket ${outputs.globalBuildsBucket}`, () => clients.s3.send(new HeadBucketCommand({ Bucket: outputs.globalBuildsBucket }), within())],
        [`DynamoDB DescribeTable ${outputs.eventsTable}`, () => clients.dynamoDb.send(new DescribeTableCommand({ TableName: outputs.eventsTable }), within())],
        [`Step Functions DescribeStateMachine ${outputs.fileCopyStateMachineArn}`, () => clients.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: outputs.fileCopyStateMachineArn }), within())],
        ...apiUrls.map((api): [string, () => Promise<unknown>] => [`GET ${api}`, () => fetch(api, { signal: AbortSignal.timeout(PREFLIGHT_TIMEOUT_MS) }).then(response => response.body?.cancel())]),
    ];
    const unanswered = (await Promise.all(probes.map(async ([what, call]) => {
        try {
            await call();
            return undefined;
        } catch (error) {
            if (typeof (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === "number") {
                return undefined;
            }
            const timedOut = ["TimeoutError", "AbortError"].includes((error as Error).name);
            return `  ${what}: ${timedOut ? `no answer within ${PREFLIGHT_TIMEOUT_MS / 1000} s` : describeError(error)}`;
        }
    }))).filter(line => line !== undefined);
    if (unanswered.length > 0) {
        throw new SmokeNotRun([
            `no answer at ${describeTarget(region)} to these calls, so no check was run:`, ...unanswered,
            "Is the stack deployed and its endpoint running, and do these outputs and credentials belong to it?",
        ].join("\n"));
    }
}

/**
 * Points `env` at a local target (the sandbox or LocalStack) and nothing else. Every AWS_* setting of the caller
 * goes: the SDK's default chain prefers AWS_PROFILE to AWS_ACCESS_KEY_ID (@aws-sdk/credential-provider-node
 * defaultProvider) and AWS_ENDPOINT_URL_<SERVICE> to AWS_ENDPOINT_URL (@smithy/core getEndpointUrlConfig); the
 * shared config and credentials files are hidden, so no real credential or endpoint can be picked up.
 */
export function useLocalTarget(env: NodeJS.ProcessEnv, endpoint: string, region: string): NodeJS.ProcessEnv {
    for (const key of Object.keys(env).filter(key => key.startsWith("AWS_"))) {
        delete env[key];
    }
    return Object.assign(env, {
        AWS_ENDPOINT_URL: endpoint, AWS_REGION: region, AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test",
        AWS_CONFIG_FILE: os.devNull, AWS_SHARED_CREDENTIALS_FILE: os.devNull,
    });
}
