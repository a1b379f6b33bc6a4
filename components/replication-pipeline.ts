import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { buildRequestMessage, buildWorkerSettings, regionalSyncSettings, replicationWorkerSettings } from "../functions/replication/contract";
import { buildWorkerHandler } from "../functions/replication/build-worker";
import { environment } from "../functions/shared/settings";
import { regionalSyncHandler } from "../functions/replication/regional-sync";
import { replicationWorkerHandler } from "../functions/replication/replication-worker";
import { FileCopyWorkflow, FileCopyWorkflowArgs } from "./file-copy-workflow";
import { LambdaFunction } from "./shared/lambda-function";
import { physicalName, PlatformOptions } from "./shared/platform";
import { QueueConsumer } from "./shared/queue-consumer";
import { RestApi } from "./shared/rest-api";
import { SecureBucket } from "./shared/secure-bucket";
import { secureTable } from "./shared/table";

export interface ReplicationPipelineArgs {
    platform: PlatformOptions;
    /** Simulated regions; each gets a `<region>-builds` bucket and its own host records. @default ["region-a", "region-b"] */
    regions?: string[];
    /** Host records `regional-sync` writes per region and build. @default 1000 */
    hostsPerRegion?: number;
    /** BatchWriteItem requests `regional-sync` keeps in flight. @default 8 */
    syncConcurrency?: number;
    /** Build requests `build-worker` receives per invocation. @default 10 */
    buildBatchSize?: number;
    /** MaxConcurrency of the file copy Map state. @default FileCopyWorkflow's */
    maxConcurrency?: number;
    /** Retry of each bucket copy. @default FileCopyWorkflow's */
    copyRetry?: FileCopyWorkflowArgs["copyRetry"];
    /** Emails subscribed to file copy failures. @default none */
    notificationEmails?: string[];
    /** LocalStack-style endpoint for path-style API URLs. @default the stage invoke URLs (AWS) */
    localEndpoint?: string;
    /** Topic told when build requests reach their DLQ. @default none (the alarm only changes state in CloudWatch) */
    alertsTopicArn?: pulumi.Input<string>;
}

export const DEFAULT_REGIONS = ["region-a", "region-b"];
export const DEFAULT_HOSTS_PER_REGION = 1000;
const DEFAULT_SYNC_CONCURRENCY = 8;
const DEFAULT_BUILD_BATCH_SIZE = 10;
export const BUILD_WORKER_TIMEOUT_SECONDS = 30;

const OBJECT_CREATED = ["s3:ObjectCreated:*"];

interface Storage {
    globalBucket: SecureBucket;
    regionalBuckets: { region: string; bucket: SecureBucket }[];
    table: aws.dynamodb.Table;
}

/**
 * Seed 000: `POST /builds` → SQS → `build-worker` → `global-builds` → `replication-worker` →
 * FileCopyWorkflow (child) → `<region>-builds` → `regional-sync` → `host-deployment-logs`.
 */
export class ReplicationPipeline extends pulumi.ComponentResource {
    /** Base URL; `POST ${buildsApiUrl}/builds`. */
    public readonly buildsApiUrl: pulumi.Output<string>;
    public readonly globalBucketName: pulumi.Output<string>;
    /** Region → its builds bucket. */
    public readonly regionalBucketNames: pulumi.Output<Record<string, string>>;
    public readonly hostDeploymentTableName: pulumi.Output<string>;
    public readonly buildQueueUrl: pulumi.Output<string>;
    public readonly buildDlqUrl: pulumi.Output<string>;
    public readonly stateMachineArn: pulumi.Output<string>;
    public readonly trackingTableName: pulumi.Output<string>;
    public readonly failureTopicArn: pulumi.Output<string>;
    /** Base URL of the workflow's own API; `POST ${stepFunctionApiUrl}/step-function`. */
    public readonly stepFunctionApiUrl: pulumi.Output<string>;
    public readonly fileCopy: FileCopyWorkflow;
    /** Host records regional-sync writes per region and build (the smoke test expects regions × this many). */
    public readonly hostsPerRegion: number;

    constructor(name: string, args: ReplicationPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
        super("serverless-pipelines:replication:ReplicationPipeline", name, {}, opts);
        const { platform } = args;
        const regions = args.regions ?? DEFAULT_REGIONS;
        this.hostsPerRegion = args.hostsPerRegion ?? DEFAULT_HOSTS_PER_REGION;
        const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;

        const storage = this.createStorage(name, platform, regions);
        this.fileCopy = new FileCopyWorkflow(`${name}-file-copy`, {
            platform,
            sourceBuckets: [{ name: storage.globalBucket.name, arn: storage.globalBucket.arn }],
            destinationBuckets: storage.regionalBuckets.map(({ bucket }) => ({ name: bucket.name, arn: bucket.arn })),
            maxConcurrency: args.maxConcurrency,
            copyRetry: args.copyRetry,
            notificationEmails: args.notificationEmails,
            localEndpoint: args.localEndpoint,
        }, { parent: this });
        const buildQueue = this.createBuildStage(name, args, storage.globalBucket);
        this.createReplicationStage(name, platform, storage, accountId);
        this.createRolloutStage(name, args, storage, regions, accountId);
        const api = new RestApi(`${name}-api`, {
            platform,
            apiName: "builds-api",
            description: "Build requests: POST /builds {\"commit\": \"...\"} queues a build",
            routes: [{ kind: "sqs", method: "POST", path: "builds", queue: buildQueue.queue, requestSchema: buildRequestMessage().json }],
            localEndpoint: args.localEndpoint,
        }, { parent: this });

        this.buildsApiUrl = api.url;
        this.globalBucketName = storage.globalBucket.name;
        this.regionalBucketNames = pulumi.all(storage.regionalBuckets.map(({ bucket }) => bucket.name))
            .apply(names => Object.fromEntries(names.map((bucketName, index) => [regions[index], bucketName])));
        this.hostDeploymentTableName = storage.table.name;
        this.buildQueueUrl = buildQueue.url;
        this.buildDlqUrl = buildQueue.dlqUrl;
        this.stateMachineArn = this.fileCopy.stateMachineArn;
        this.trackingTableName = this.fileCopy.trackingTableName;
        this.failureTopicArn = this.fileCopy.failureTopicArn;
        this.stepFunctionApiUrl = this.fileCopy.apiUrl;
        this.registerOutputs({
            buildsApiUrl: this.buildsApiUrl,
            globalBucketName: this.globalBucketName,
            regionalBucketNames: this.regionalBucketNames,
            hostDeploymentTableName: this.hostDeploymentTableName,
            buildQueueUrl: this.buildQueueUrl,
            buildDlqUrl: this.buildDlqUrl,
            stateMachineArn: this.stateMachineArn,
            trackingTableName: this.trackingTableName,
            failureTopicArn: this.failureTopicArn,
            stepFunctionApiUrl: this.stepFunctionApiUrl,
        });
    }

    /** The global builds bucket, one bucket per region and the host deployment log table. */
    private createStorage(name: string, platform: PlatformOptions, regions: string[]): Storage {
        const child = { parent: this };
        return {
            globalBucket: new SecureBucket(`${name}-global-builds`, { platform, bucketName: "global-builds" }, child),
            regionalBuckets: regions.map(region => ({
                region,
                bucket: new SecureBucket(`${name}-${region}-builds`, { platform, bucketName: `${region}-builds` }, child),
            })),
            table: secureTable(`${name}-host-deployment-logs`, {
                platform, tableName: "host-deployment-logs", hashKey: "build_id", rangeKey: "host_id",
            }, child),
        };
    }

    /** build-requests queue → build-worker → `build-<id>.zip` in the global bucket; poison requests alarm from the DLQ. */
    private createBuildStage(name: string, args: ReplicationPipelineArgs, globalBucket: SecureBucket): QueueConsumer {
        const { platform } = args;
        const buildQueue = new QueueConsumer(`${name}-build-requests`, {
            platform, queueName: "build-requests", consumerTimeoutSeconds: BUILD_WORKER_TIMEOUT_SECONDS,
        }, { parent: this });
        const buildWorker = new LambdaFunction(`${name}-build-worker`, {
            platform,
            functionName: "build-worker",
            description: "Builds a commit from the build-requests queue and uploads build-<id>.zip once",
            handlerFactory: buildWorkerHandler,
            environment: environment(buildWorkerSettings(), { buildsBucket: globalBucket.name }),
            statements: [
                ...buildQueue.consumerStatements({ sid: "ConsumeBuildRequests" }),
                { sid: "UploadArtifacts", actions: ["s3:PutObject"], resources: [pulumi.interpolate`${globalBucket.arn}/build-*`] },
            ],
            runtimePackages: ["@aws-lambda-powertools/batch", "superstruct"],
            timeoutSeconds: BUILD_WORKER_TIMEOUT_SECONDS,
        }, { parent: this });
        buildQueue.subscribe(`${name}-build-worker-source`, buildWorker, { batchSize: args.buildBatchSize ?? DEFAULT_BUILD_BATCH_SIZE });
        // Poison build requests end in the DLQ (build-worker logs each failure with its message id and reason).
        buildQueue.dlqDepthAlarm(`${name}-build-dlq-alarm`, {
            alertsTopicArn: args.alertsTopicArn,
            notifyOnRecovery: true,
            name: physicalName(platform, "build-requests-dlq-depth"),
            alarmDescription: `Build requests that failed build-worker ${buildQueue.maxReceiveCount} times wait in the build-requests DLQ`,
        });
        return buildQueue;
    }

    /** A new build in the global bucket → replication-worker → one FileCopyWorkflow run to the regional buckets. */
    private createReplicationStage(name: string, platform: PlatformOptions, storage: Storage, accountId: pulumi.Input<string>): void {
        const replicationWorker = new LambdaFunction(`${name}-replication-worker`, {
            platform,
            functionName: "replication-worker",
            description: "Starts the file copy workflow for each build uploaded to global-builds",
            handlerFactory: replicationWorkerHandler,
            environment: environment(replicationWorkerSettings(), {
                stateMachineArn: this.fileCopy.stateMachineArn,
                destinationBuckets: pulumi.all(storage.regionalBuckets.map(({ bucket }) => bucket.name)).apply(names => JSON.stringify(names)),
            }),
            statements: [{ sid: "StartFileCopy", actions: ["states:StartExecution"], resources: [this.fileCopy.stateMachineArn] }],
        }, { parent: this });
        this.notifyOnCreate(`${name}-global-builds`, storage.globalBucket, replicationWorker, accountId);
    }

    /** A build landing in a regional bucket → regional-sync → that region's host records. */
    private createRolloutStage(name: string, args: ReplicationPipelineArgs, storage: Storage, regions: string[], accountId: pulumi.Input<string>): void {
        const regionalSync = new LambdaFunction(`${name}-regional-sync`, {
            platform: args.platform,
            functionName: "regional-sync",
            description: "Simulates the P2P rollout of a build in one region by writing its host records",
            handlerFactory: regionalSyncHandler,
            environment: environment(regionalSyncSettings(), {
                hostDeploymentTable: storage.table.name,
                regionByBucket: pulumi.all(storage.regionalBuckets.map(({ bucket }) => bucket.name))
                    .apply(names => JSON.stringify(Object.fromEntries(names.map((bucketName, index) => [bucketName, regions[index]])))),
                hostsPerRegion: String(this.hostsPerRegion),
                syncConcurrency: String(args.syncConcurrency ?? DEFAULT_SYNC_CONCURRENCY),
            }),
            statements: [{ sid: "WriteHostRecords", actions: ["dynamodb:BatchWriteItem"], resources: [storage.table.arn] }],
            timeoutSeconds: 120,
        }, { parent: this });
        for (const { region, bucket } of storage.regionalBuckets) {
            this.notifyOnCreate(`${name}-${region}-builds`, bucket, regionalSync, accountId);
        }
    }

    /** The bucket's ONE notification configuration (S3 keeps one per bucket), invoking `target` on every new object. */
    private notifyOnCreate(prefix: string, bucket: SecureBucket, target: LambdaFunction, accountId: pulumi.Input<string>): void {
        const permission = new aws.lambda.Permission(`${prefix}-invoke`, {
            action: "lambda:InvokeFunction",
            function: target.name,
            principal: "s3.amazonaws.com",
            sourceArn: bucket.arn,
            // Bucket names can be re-registered by another account; the account pins the source.
            sourceAccount: accountId,
        }, { parent: this });
        new aws.s3.BucketNotification(`${prefix}-notification`, {
            bucket: bucket.bucket.id,
            lambdaFunctions: [{ lambdaFunctionArn: target.arn, events: OBJECT_CREATED }],
        }, { parent: this, dependsOn: [permission, bucket.policy] });
    }
}
