import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Handler } from "aws-lambda";
import { randomUUID } from "crypto";
import { badRequest, jsonResponse, parseJsonBody } from "../shared/http";
import { message, text, uniqueList } from "../shared/message-schema";
import { check } from "../shared/validation";

/** Most destinations one request may name. */
export const MAX_DESTINATIONS = 10;
/** S3 bucket naming rules (docs: bucketnamingrules): 3-63 of lowercase letters, digits, `.`, `-`, starting and ending alphanumeric. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * `POST /step-function`: API Gateway's model and the invoker's check; the invoker also checks the buckets against
 * its allow-lists. S3 keys are at most 1,024 UTF-8 bytes; control characters are refused as S3 advises against them.
 * A function: handler factories build their own structs.
 */
export function fileCopyRequestMessage() {
    const bucket = text({ min: 3, max: 63, pattern: BUCKET_NAME });
    return message("FileCopyRequest", {
        sourceBucket: bucket,
        sourceKey: text({ max: 1024, singleLine: true, maxUtf8Bytes: 1024 }),
        destinationBuckets: uniqueList(bucket, { min: 1, max: MAX_DESTINATIONS }),
    }, ["sourceBucket", "sourceKey", "destinationBuckets"]);
}

function bucketList(variable: string): string[] {
    const value: unknown = JSON.parse(process.env[variable] ?? "[]");
    if (!Array.isArray(value) || value.some(item => typeof item !== "string")) {
        throw new Error(`${variable} must be a JSON array of bucket names`);
    }
    return value as string[];
}

/**
 * `POST /step-function`: validates `{sourceBucket, sourceKey, destinationBuckets[]}` against the allowed
 * buckets and starts the file-copy workflow. Env: STATE_MACHINE_ARN, ALLOWED_SOURCE_BUCKETS,
 * ALLOWED_DESTINATION_BUCKETS (JSON arrays).
 */
export function stepFunctionInvokerHandler(): Handler<APIGatewayProxyEvent, APIGatewayProxyResult> {
    const sfn = new SFNClient({});
    const stateMachineArn = process.env.STATE_MACHINE_ARN ?? "";
    const allowedSources = bucketList("ALLOWED_SOURCE_BUCKETS");
    const allowedDestinations = bucketList("ALLOWED_DESTINATION_BUCKETS");
    const request = fileCopyRequestMessage().struct;
    const notAllowed = ({ sourceBucket, destinationBuckets }: { sourceBucket: string; destinationBuckets: string[] }): string[] => [
        ...(allowedSources.includes(sourceBucket) ? [] : [`sourceBucket: ${JSON.stringify(sourceBucket)} is not a source bucket; allowed: ${allowedSources.join(", ")}`]),
        ...destinationBuckets.flatMap((bucket, index) => allowedDestinations.includes(bucket) ? []
            : [`destinationBuckets.${index}: ${JSON.stringify(bucket)} is not a destination bucket; allowed: ${allowedDestinations.join(", ")}`]),
    ];

    return async event => {
        const body = parseJsonBody(event);
        if (!body.ok) {
            return body.response;
        }
        const checked = check(body.value, request);
        const problems = checked.ok ? notAllowed(checked.value) : checked.problems;
        if (!checked.ok || problems.length) {
            return badRequest("Invalid file copy request", problems);
        }
        let execution: { executionArn?: string; startDate?: Date };
        try {
            execution = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: randomUUID(), input: JSON.stringify(checked.value) }));
        } catch (error) {
            console.error(JSON.stringify({ event: "start-execution-failed", error: `${(error as Error).name}: ${(error as Error).message}` }));
            return jsonResponse(503, { message: "The file copy could not be started now; send it again later" });
        }
        return jsonResponse(202, {
            executionArn: execution.executionArn,
            startDate: execution.startDate?.toISOString(),
            message: `Copying s3://${checked.value.sourceBucket}/${checked.value.sourceKey} to ${checked.value.destinationBuckets.length} bucket(s)`,
        });
    };
}
