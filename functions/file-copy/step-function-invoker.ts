import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Handler } from "aws-lambda";
import { randomUUID } from "crypto";
import { array, enums, object, refine, size, string } from "superstruct";
import { badRequest, jsonResponse, parseJsonBody } from "../shared/http";
import { check } from "../shared/validation";

/** Most destinations one request may name; matches the API's JSON Schema `maxItems`. */
export const MAX_DESTINATIONS = 10;

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
    const request = object({
        sourceBucket: enums(allowedSources),
        sourceKey: size(string(), 1, 1024),
        destinationBuckets: refine(
            size(array(enums(allowedDestinations)), 1, MAX_DESTINATIONS),
            "unique",
            buckets => new Set(buckets).size === buckets.length || `Expected unique bucket names, but ${buckets.filter((bucket, index) => buckets.indexOf(bucket) !== index).join(", ")} repeated`,
        ),
    });

    return async event => {
        const body = parseJsonBody(event);
        if (!body.ok) {
            return body.response;
        }
        const checked = check(body.value, request);
        if (!checked.ok) {
            return badRequest("Invalid file copy request", checked.problems);
        }
        const execution = await sfn.send(new StartExecutionCommand({
            stateMachineArn,
            name: randomUUID(),
            input: JSON.stringify(checked.value),
        }));
        return jsonResponse(202, {
            executionArn: execution.executionArn,
            startDate: execution.startDate?.toISOString(),
            message: `Copying s3://${checked.value.sourceBucket}/${checked.value.sourceKey} to ${checked.value.destinationBuckets.length} bucket(s)`,
        });
    };
}
