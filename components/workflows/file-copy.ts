/** Seed 001's file-copy state machine (ASL), built from the ARNs and settings its component passes in. */

/** Retry of one task: attempts after the first, first interval, and its growth per attempt. */
export interface RetrySettings { maxAttempts: number; intervalSeconds: number; backoffRate: number }

export const DEFAULT_COPY_RETRY: RetrySettings = { maxAttempts: 3, intervalSeconds: 2, backoffRate: 2 };
export const DEFAULT_TRACKING_RETRY: RetrySettings = { maxAttempts: 3, intervalSeconds: 1, backoffRate: 1 };
export const DEFAULT_NOTIFICATION_RETRY: RetrySettings = { maxAttempts: 2, intervalSeconds: 1, backoffRate: 1 };

export interface FileCopyDefinitionInputs {
    tableName: string;
    topicArn: string;
    copyFunctionArn: string;
    formatFunctionArn: string;
    maxConcurrency: number;
    copyRetry: RetrySettings;
    trackingRetry: RetrySettings;
    notificationRetry: RetrySettings;
}

function retry(settings: RetrySettings, errors = ["States.ALL"]): Record<string, unknown>[] {
    return [{
        ErrorEquals: errors,
        MaxAttempts: settings.maxAttempts,
        IntervalSeconds: settings.intervalSeconds,
        BackoffRate: settings.backoffRate,
    }];
}

/** The Lambda invoke errors AWS recommends retrying (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html); a formatter bug is not. */
const LAMBDA_TRANSIENT_ERRORS = ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"];

/** The region of the execution, the fourth field of its ARN. */
const EXECUTION_REGION = "States.ArrayGetItem(States.StringSplit($.executionId, ':'), 3)";

/** DynamoDB number attribute from a JSONPath number (N values are strings). */
function numberAttribute(path: string): Record<string, string> {
    return { "N.$": `States.Format('{}', ${path})` };
}

/** Sets the run's status, which only the Choice before it knows. */
function statusState(status: string): Record<string, unknown> {
    return { Type: "Pass", Result: status, ResultPath: "$.status", Next: "ProcessResults" };
}

/**
 * Seed 001's state machine. Every JSONPath is definite or `$..name[*]`, the one indefinite shape AWS and LocalStack
 * 4.14 answer alike for any number of matches: a list, [] for none (tests/support/localstack-jsonpath.ts has the rule).
 */
export function fileCopyDefinition(inputs: FileCopyDefinitionInputs): string {
    const failure = { "bucket.$": "$.destinationBucket", status: "FAILED", "error.$": "$.failure.Error", "cause.$": "$.failure.Cause" };
    const success = { "bucket.$": "$.Payload.bucket", status: "SUCCEEDED" };
    return JSON.stringify({
        Comment: "Copies one object to several buckets, tracks the run in DynamoDB and reports failures to SNS (seed 001)",
        StartAt: "ValidateInput",
        States: {
            ValidateInput: {
                Type: "Pass",
                Parameters: {
                    "sourceBucket.$": "$.sourceBucket",
                    "sourceKey.$": "$.sourceKey",
                    "destinationBuckets.$": "$.destinationBuckets",
                    "executionId.$": "$$.Execution.Id",
                    "startTime.$": "$$.Execution.StartTime",
                },
                Next: "LogWorkflowStart",
            },
            LogWorkflowStart: {
                Type: "Task",
                Resource: "arn:aws:states:::dynamodb:putItem",
                Parameters: {
                    TableName: inputs.tableName,
                    Item: {
                        fileKey: { "S.$": "$.sourceKey" },
                        sourceBucket: { "S.$": "$.sourceBucket" },
                        executionId: { "S.$": "$.executionId" },
                        status: { S: "IN_PROGRESS" },
                        startTime: { "S.$": "$.startTime" },
                        destinationBuckets: { "S.$": "States.JsonToString($.destinationBuckets)" },
                    },
                },
                ResultPath: null,
                Retry: retry(inputs.trackingRetry),
                Next: "CopyToMultipleBuckets",
            },
            CopyToMultipleBuckets: {
                Type: "Map",
                ItemsPath: "$.destinationBuckets",
                MaxConcurrency: inputs.maxConcurrency,
                ItemSelector: {
                    "sourceBucket.$": "$.sourceBucket",
                    "sourceKey.$": "$.sourceKey",
                    "destinationBucket.$": "$$.Map.Item.Value",
                },
                ItemProcessor: {
                    ProcessorConfig: { Mode: "INLINE" },
                    StartAt: "CopyObject",
                    States: {
                        CopyObject: {
                            Type: "Task",
                            Resource: "arn:aws:states:::lambda:invoke",
                            Parameters: { FunctionName: inputs.copyFunctionArn, "Payload.$": "$" },
                            // Each item returns its share of every list the run reports; the Map's ResultSelector joins them.
                            ResultSelector: { results: [success], "succeededBuckets.$": "States.Array($.Payload.bucket)", failedBuckets: [], failures: [] },
                            Retry: retry(inputs.copyRetry),
                            // A failed bucket is a result, not a failed run: the other copies still count.
                            Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "RecordCopyFailure" }],
                            End: true,
                        },
                        RecordCopyFailure: {
                            Type: "Pass",
                            Parameters: { results: [failure], succeededBuckets: [], "failedBuckets.$": "States.Array($.destinationBucket)", failures: [failure] },
                            End: true,
                        },
                    },
                },
                ResultSelector: {
                    "results.$": "$..results[*]",
                    "succeededBuckets.$": "$..succeededBuckets[*]",
                    "failedBuckets.$": "$..failedBuckets[*]",
                    "failures.$": "$..failures[*]",
                },
                ResultPath: "$.copy",
                Next: "ChooseStatus",
            },
            // An empty list has no [0] (Choice Variables must be definite on AWS). `Not` because aws-local-stepfunctions
            // 3.0.0 never matches `IsPresent: false`.
            ChooseStatus: {
                Type: "Choice",
                Choices: [
                    { Not: { Variable: "$.copy.failedBuckets[0]", IsPresent: true }, Next: "StatusCompleted" },
                    { Not: { Variable: "$.copy.succeededBuckets[0]", IsPresent: true }, Next: "StatusFailed" },
                ],
                Default: "StatusPartiallyFailed",
            },
            StatusCompleted: statusState("COMPLETED"),
            StatusFailed: statusState("FAILED"),
            StatusPartiallyFailed: statusState("PARTIALLY_FAILED"),
            ProcessResults: {
                Type: "Pass",
                Parameters: {
                    "sourceBucket.$": "$.sourceBucket",
                    "sourceKey.$": "$.sourceKey",
                    "destinationBuckets.$": "$.destinationBuckets",
                    "executionId.$": "$.executionId",
                    "startTime.$": "$.startTime",
                    "status.$": "$.status",
                    "totalBuckets.$": "States.ArrayLength($.copy.results)",
                    "successfulCopies.$": "States.ArrayLength($.copy.succeededBuckets)",
                    "failedCopies.$": "States.ArrayLength($.copy.failedBuckets)",
                    "succeededBuckets.$": "$.copy.succeededBuckets",
                    "failedBuckets.$": "$.copy.failedBuckets",
                    "failures.$": "$.copy.failures",
                    "results.$": "$.copy.results",
                },
                Next: "UpdateDynamoDBFinal",
            },
            UpdateDynamoDBFinal: {
                Type: "Task",
                Resource: "arn:aws:states:::dynamodb:updateItem",
                Parameters: {
                    TableName: inputs.tableName,
                    Key: { fileKey: { "S.$": "$.sourceKey" }, sourceBucket: { "S.$": "$.sourceBucket" } },
                    UpdateExpression: "SET #status = :status, executionId = :executionId, startTime = :startTime, completionTime = :completionTime, "
                        + "totalBuckets = :totalBuckets, successfulCopies = :successfulCopies, failedCopies = :failedCopies, "
                        + "succeededBuckets = :succeededBuckets, failedBuckets = :failedBuckets, results = :results, destinationBuckets = :destinationBuckets",
                    ExpressionAttributeNames: { "#status": "status" },
                    ExpressionAttributeValues: {
                        ":status": { "S.$": "$.status" },
                        ":executionId": { "S.$": "$.executionId" },
                        ":startTime": { "S.$": "$.startTime" },
                        ":completionTime": { "S.$": "$$.State.EnteredTime" },
                        ":totalBuckets": numberAttribute("$.totalBuckets"),
                        ":successfulCopies": numberAttribute("$.successfulCopies"),
                        ":failedCopies": numberAttribute("$.failedCopies"),
                        ":succeededBuckets": { "S.$": "States.JsonToString($.succeededBuckets)" },
                        ":failedBuckets": { "S.$": "States.JsonToString($.failedBuckets)" },
                        ":results": { "S.$": "States.JsonToString($.results)" },
                        ":destinationBuckets": { "S.$": "States.JsonToString($.destinationBuckets)" },
                    },
                },
                ResultPath: null,
                Retry: retry(inputs.trackingRetry),
                Next: "CheckIfAllSuccessful",
            },
            CheckIfAllSuccessful: {
                Type: "Choice",
                Choices: [{ Variable: "$.failedCopies", NumericEquals: 0, Next: "AllCopiesSuccessful" }],
                Default: "FormatFailureNotification",
            },
            AllCopiesSuccessful: { Type: "Succeed" },
            // JSONPath can neither join a list into lines nor shorten a string, so a small Lambda writes the report.
            FormatFailureNotification: {
                Type: "Task",
                Resource: "arn:aws:states:::lambda:invoke",
                Parameters: { FunctionName: inputs.formatFunctionArn, "Payload.$": "$" },
                ResultSelector: { "subject.$": "$.Payload.subject", "message.$": "$.Payload.message" },
                ResultPath: "$.notification",
                Retry: retry(inputs.notificationRetry, LAMBDA_TRANSIENT_ERRORS),
                Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.formatError", Next: "FormatPlainFailureNotification" }],
                Next: "SendFailureNotification",
            },
            // The report without the formatter, on one line: LocalStack's intrinsic lexer (ASLIntrinsicLexer.g4) takes no control character in a literal.
            FormatPlainFailureNotification: {
                Type: "Pass",
                Parameters: {
                    "subject.$": "States.Format('File copy failed: {} of {} destinations', $.failedCopies, $.totalBuckets)",
                    "message.$": "States.Format('⚠️ File copy failed for {} of {} destinations (status {}). File: s3://{}/{}. Failed: {}. "
                        + "Execution: {} - console: https://{}.console.aws.amazon.com/states/home?region={}#/v2/executions/details/{} - "
                        + `errors per bucket: DynamoDB table ${inputs.tableName}, this fileKey and sourceBucket. `
                        + "(Plain report: the detailed one failed with {}.)', "
                        + "$.failedCopies, $.totalBuckets, $.status, $.sourceBucket, $.sourceKey, States.JsonToString($.failedBuckets), "
                        + `$.executionId, ${EXECUTION_REGION}, ${EXECUTION_REGION}, $.executionId, $.formatError.Error)`,
                },
                ResultPath: "$.notification",
                Next: "SendFailureNotification",
            },
            SendFailureNotification: {
                Type: "Task",
                Resource: "arn:aws:states:::sns:publish",
                Parameters: { TopicArn: inputs.topicArn, "Subject.$": "$.notification.subject", "Message.$": "$.notification.message" },
                ResultPath: null,
                Retry: retry(inputs.notificationRetry),
                Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.notificationError", Next: "NotificationFailed" }],
                Next: "SomeCopiesFailed",
            },
            SomeCopiesFailed: {
                Type: "Fail",
                Error: "SomeCopiesFailed",
                Cause: "At least one destination bucket did not receive the file; see the tracking record and the failure notification",
            },
            NotificationFailed: {
                Type: "Fail",
                Error: "NotificationFailed",
                Cause: "Copies failed and the failure notification could not be published",
            },
        },
    });
}
