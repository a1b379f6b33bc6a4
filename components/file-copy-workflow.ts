import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { copyObjectHandler } from "../functions/file-copy/copy-object";
import { failureNotificationHandler } from "../functions/file-copy/failure-notification";
import { failureNotificationSettings, fileCopyInvokerSettings, fileCopyRequestMessage } from "../functions/file-copy/contract";
import { stepFunctionInvokerHandler } from "../functions/file-copy/step-function-invoker";
import { environment } from "../functions/shared/settings";
import { LambdaFunction } from "./shared/lambda-function";
import { physicalName, PlatformOptions } from "./shared/platform";
import { RestApi } from "./shared/rest-api";
import { StateMachine } from "./shared/state-machine";
import { secureTable } from "./shared/table";
import { publishersOnlyTopicPolicy } from "./shared/topic-policy";

export interface BucketRef { name: pulumi.Input<string>; arn: pulumi.Input<string> }

export interface RetrySettings { maxAttempts: number; intervalSeconds: number; backoffRate: number }

export interface FileCopyWorkflowArgs {
    platform: PlatformOptions;
    /** Buckets copies may be read from (the invoker accepts only these as sourceBucket). */
    sourceBuckets: BucketRef[];
    /** Buckets copies may be written to (the invoker accepts only these). */
    destinationBuckets: BucketRef[];
    /** Map MaxConcurrency. @default 10 */
    maxConcurrency?: number;
    /** Retry of each bucket copy. @default DEFAULT_COPY_RETRY */
    copyRetry?: RetrySettings;
    /** Retry of each tracking-table write. @default DEFAULT_TRACKING_RETRY */
    trackingRetry?: RetrySettings;
    /** Retry of the failure notification publish. @default DEFAULT_NOTIFICATION_RETRY */
    notificationRetry?: RetrySettings;
    /** Email addresses subscribed to the failure topic. @default none */
    notificationEmails?: string[];
    /** Passed to RestApi (LocalStack/sandbox path-style URL). */
    localEndpoint?: string;
}

const DEFAULT_MAX_CONCURRENCY = 10;
export const DEFAULT_COPY_RETRY: RetrySettings = { maxAttempts: 3, intervalSeconds: 2, backoffRate: 2 };
export const DEFAULT_TRACKING_RETRY: RetrySettings = { maxAttempts: 3, intervalSeconds: 1, backoffRate: 1 };
export const DEFAULT_NOTIFICATION_RETRY: RetrySettings = { maxAttempts: 2, intervalSeconds: 1, backoffRate: 1 };

interface DefinitionInputs {
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
export function fileCopyDefinition(inputs: DefinitionInputs): string {
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

/**
 * Seed 001: a Standard state machine copying one object to several buckets in parallel, a tracking
 * table, a failure topic and `POST /step-function` that validates a request and starts a run.
 */
export class FileCopyWorkflow extends pulumi.ComponentResource {
    public readonly stateMachineArn: pulumi.Output<string>;
    public readonly stateMachineName: pulumi.Output<string>;
    public readonly trackingTableName: pulumi.Output<string>;
    public readonly trackingTableArn: pulumi.Output<string>;
    public readonly failureTopicArn: pulumi.Output<string>;
    /** Base URL of the API; POST `${apiUrl}/step-function`. */
    public readonly apiUrl: pulumi.Output<string>;

    constructor(name: string, args: FileCopyWorkflowArgs, opts?: pulumi.ComponentResourceOptions) {
        super("serverless-pipelines:file-copy:FileCopyWorkflow", name, {}, opts);
        const { platform } = args;
        const child = { parent: this };

        const table = secureTable(`${name}-table`, {
            platform, tableName: "file-copy-tracking", hashKey: "fileKey", rangeKey: "sourceBucket",
        }, child);

        // Only Step Functions publishes, with its role, so the AWS-managed SNS key is enough.
        const topic = new aws.sns.Topic(`${name}-failures`, {
            name: physicalName(platform, "file-copy-failures"),
            kmsMasterKeyId: "alias/aws/sns",
        }, child);
        (args.notificationEmails ?? []).forEach((email, index) => new aws.sns.TopicSubscription(`${name}-failures-email-${index}`, {
            topic: topic.arn, protocol: "email", endpoint: email,
        }, child));

        const copyFunction = new LambdaFunction(`${name}-copy-object`, {
            platform,
            functionName: "copy-object",
            description: "Copies one object to one destination bucket for the file-copy workflow",
            handlerFactory: copyObjectHandler,
            statements: [
                // No *ObjectTagging: build-worker writes sources untagged (it may not tag); copying a tagged object without them is AccessDenied
                // (https://repost.aws/knowledge-center/s3-troubleshoot-copy-between-buckets).
                { sid: "ReadSourceObjects", actions: ["s3:GetObject"], resources: args.sourceBuckets.map(bucket => pulumi.interpolate`${bucket.arn}/*`) },
                { sid: "WriteDestinationObjects", actions: ["s3:PutObject"], resources: args.destinationBuckets.map(bucket => pulumi.interpolate`${bucket.arn}/*`) },
            ],
            timeoutSeconds: 60,
        }, child);

        const formatFunction = new LambdaFunction(`${name}-format-failure-notification`, {
            platform,
            functionName: "format-failure-notification",
            description: "Writes the file-copy failure notification: the file, one line per failed bucket, where to look",
            handlerFactory: failureNotificationHandler,
            // Names only, to point the reader at them; it reads neither.
            environment: environment(failureNotificationSettings(), { trackingTable: table.name, copyLogGroup: copyFunction.logGroup.name }),
            runtimePackages: ["superstruct"],
            timeoutSeconds: 10,
        }, child);

        const definition = pulumi.all([table.name, topic.arn, copyFunction.arn, formatFunction.arn]).apply(([tableName, topicArn, copyFunctionArn, formatFunctionArn]) => fileCopyDefinition({
            tableName, topicArn, copyFunctionArn, formatFunctionArn,
            maxConcurrency: args.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY,
            copyRetry: args.copyRetry ?? DEFAULT_COPY_RETRY,
            trackingRetry: args.trackingRetry ?? DEFAULT_TRACKING_RETRY,
            notificationRetry: args.notificationRetry ?? DEFAULT_NOTIFICATION_RETRY,
        }));
        const stateMachine = new StateMachine(`${name}-state-machine`, {
            platform,
            stateMachineName: "file-copy-workflow",
            definition,
            statements: [
                { sid: "TrackRuns", actions: ["dynamodb:PutItem", "dynamodb:UpdateItem"], resources: [table.arn] },
                { sid: "PublishFailures", actions: ["sns:Publish"], resources: [topic.arn] },
                // The definition invokes unqualified ARNs, so no version or alias (`:*`) grant.
                { sid: "InvokeCopy", actions: ["lambda:InvokeFunction"], resources: [copyFunction.arn] },
                { sid: "InvokeNotificationFormatter", actions: ["lambda:InvokeFunction"], resources: [formatFunction.arn] },
            ],
        }, child);
        publishersOnlyTopicPolicy(`${name}-failures-policy`, {
            topicArn: topic.arn,
            publishers: [{ sid: "WorkflowPublishes", principal: { AWS: stateMachine.role.arn } }],
        }, child);

        const invoker = new LambdaFunction(`${name}-invoker`, {
            platform,
            functionName: "step-function-invoker",
            description: "POST /step-function: validates a file copy request and starts the workflow",
            handlerFactory: stepFunctionInvokerHandler,
            environment: environment(fileCopyInvokerSettings(), {
                stateMachineArn: stateMachine.arn,
                allowedSourceBuckets: pulumi.output(args.sourceBuckets.map(bucket => bucket.name)).apply(names => JSON.stringify(names)),
                allowedDestinationBuckets: pulumi.output(args.destinationBuckets.map(bucket => bucket.name)).apply(names => JSON.stringify(names)),
            }),
            statements: [{ sid: "StartWorkflow", actions: ["states:StartExecution"], resources: [stateMachine.arn] }],
            runtimePackages: ["superstruct"],
        }, child);

        const api = new RestApi(`${name}-api`, {
            platform,
            apiName: "file-copy-api",
            description: "Starts file copy workflow runs",
            routes: [{ kind: "lambda", method: "POST", path: "step-function", function: invoker, requestSchema: fileCopyRequestMessage().json }],
            localEndpoint: args.localEndpoint,
        }, child);

        this.stateMachineArn = stateMachine.arn;
        this.stateMachineName = stateMachine.name;
        this.trackingTableName = table.name;
        this.trackingTableArn = table.arn;
        this.failureTopicArn = topic.arn;
        this.apiUrl = api.url;
        this.registerOutputs({
            stateMachineArn: this.stateMachineArn,
            stateMachineName: this.stateMachineName,
            trackingTableName: this.trackingTableName,
            trackingTableArn: this.trackingTableArn,
            failureTopicArn: this.failureTopicArn,
            apiUrl: this.apiUrl,
        });
    }
}
