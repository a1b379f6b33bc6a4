import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { copyObjectHandler } from "../functions/file-copy/copy-object";
import { failureNotificationHandler } from "../functions/file-copy/failure-notification";
import { failureNotificationSettings, fileCopyInvokerSettings, fileCopyRequestMessage } from "../functions/file-copy/contract";
import { stepFunctionInvokerHandler } from "../functions/file-copy/step-function-invoker";
import { environment } from "../functions/shared/settings";
import { LambdaFunction } from "./shared/lambda-function";
import { PlatformOptions } from "./shared/platform";
import { RestApi } from "./shared/rest-api";
import { StateMachine } from "./shared/state-machine";
import { secureTable } from "./shared/table";
import { EncryptedTopic } from "./shared/encrypted-topic";
import { DEFAULT_COPY_RETRY, DEFAULT_NOTIFICATION_RETRY, DEFAULT_TRACKING_RETRY, fileCopyDefinition, RetrySettings } from "./workflows/file-copy";

export interface BucketRef { name: pulumi.Input<string>; arn: pulumi.Input<string> }

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

interface TaskFunctions { copy: LambdaFunction; format: LambdaFunction }

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

        const table = secureTable(`${name}-table`, {
            platform, tableName: "file-copy-tracking", hashKey: "fileKey", rangeKey: "sourceBucket",
        }, { parent: this });
        // Only Step Functions publishes, with its role, so the AWS-managed SNS key is enough.
        const failures = new EncryptedTopic(`${name}-failures`, { platform, topicName: "file-copy-failures" }, { parent: this });
        (args.notificationEmails ?? []).forEach((email, index) => failures.subscribeEmail(`${name}-failures-email-${index}`, email));
        const tasks = this.createTaskFunctions(name, args, table);
        const stateMachine = this.createStateMachine(name, args, table, failures.topic, tasks);
        failures.allowPublishers([{ sid: "WorkflowPublishes", principal: { AWS: stateMachine.role.arn } }]);
        const api = this.createApi(name, args, stateMachine);

        this.stateMachineArn = stateMachine.arn;
        this.stateMachineName = stateMachine.name;
        this.trackingTableName = table.name;
        this.trackingTableArn = table.arn;
        this.failureTopicArn = failures.topic.arn;
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

    /** The Lambda tasks of the workflow: one bucket copy, and the failure notification's text. */
    private createTaskFunctions(name: string, args: FileCopyWorkflowArgs, table: aws.dynamodb.Table): TaskFunctions {
        const { platform } = args;
        const copy = new LambdaFunction(`${name}-copy-object`, {
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
        }, { parent: this });
        const format = new LambdaFunction(`${name}-format-failure-notification`, {
            platform,
            functionName: "format-failure-notification",
            description: "Writes the file-copy failure notification: the file, one line per failed bucket, where to look",
            handlerFactory: failureNotificationHandler,
            // Names only, to point the reader at them; it reads neither.
            environment: environment(failureNotificationSettings(), { trackingTable: table.name, copyLogGroup: copy.logGroup.name }),
            runtimePackages: ["superstruct"],
            timeoutSeconds: 10,
        }, { parent: this });
        return { copy, format };
    }

    /** Seed 001's state machine, with a role that may write the table, publish to the topic and invoke the tasks. */
    private createStateMachine(name: string, args: FileCopyWorkflowArgs, table: aws.dynamodb.Table, topic: aws.sns.Topic, tasks: TaskFunctions): StateMachine {
        const definition = pulumi.all([table.name, topic.arn, tasks.copy.arn, tasks.format.arn]).apply(([tableName, topicArn, copyFunctionArn, formatFunctionArn]) => fileCopyDefinition({
            tableName, topicArn, copyFunctionArn, formatFunctionArn,
            maxConcurrency: args.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY,
            copyRetry: args.copyRetry ?? DEFAULT_COPY_RETRY,
            trackingRetry: args.trackingRetry ?? DEFAULT_TRACKING_RETRY,
            notificationRetry: args.notificationRetry ?? DEFAULT_NOTIFICATION_RETRY,
        }));
        return new StateMachine(`${name}-state-machine`, {
            platform: args.platform,
            stateMachineName: "file-copy-workflow",
            definition,
            statements: [
                { sid: "TrackRuns", actions: ["dynamodb:PutItem", "dynamodb:UpdateItem"], resources: [table.arn] },
                { sid: "PublishFailures", actions: ["sns:Publish"], resources: [topic.arn] },
                // The definition invokes unqualified ARNs, so no version or alias (`:*`) grant.
                { sid: "InvokeCopy", actions: ["lambda:InvokeFunction"], resources: [tasks.copy.arn] },
                { sid: "InvokeNotificationFormatter", actions: ["lambda:InvokeFunction"], resources: [tasks.format.arn] },
            ],
        }, { parent: this });
    }

    /** `POST /step-function`: step-function-invoker checks a request against the allowed buckets and starts a run. */
    private createApi(name: string, args: FileCopyWorkflowArgs, stateMachine: StateMachine): RestApi {
        const { platform } = args;
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
        }, { parent: this });
        return new RestApi(`${name}-api`, {
            platform,
            apiName: "file-copy-api",
            description: "Starts file copy workflow runs",
            routes: [{ kind: "lambda", method: "POST", path: "step-function", function: invoker, requestSchema: fileCopyRequestMessage().json }],
            localEndpoint: args.localEndpoint,
        }, { parent: this });
    }
}
