import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Handler } from "aws-lambda";
import { randomUUID } from "crypto";
import { badRequest, jsonResponse, parseJsonBody } from "../shared/http";
import { loadSettings } from "../shared/settings";
import { check } from "../shared/validation";
import { FileCopyRequest, fileCopyInvokerSettings, fileCopyRequestMessage } from "./contract";

/**
 * `POST /step-function`: validates `{sourceBucket, sourceKey, destinationBuckets[]}` against the allowed
 * buckets and starts the file-copy workflow.
 */
export function stepFunctionInvokerHandler(): Handler<APIGatewayProxyEvent, APIGatewayProxyResult> {
    const sfn = new SFNClient({});
    const { stateMachineArn, allowedSourceBuckets: allowedSources, allowedDestinationBuckets: allowedDestinations } = loadSettings(fileCopyInvokerSettings());
    const request = fileCopyRequestMessage().struct;
    const notAllowed = ({ sourceBucket, destinationBuckets }: FileCopyRequest): string[] => [
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
