import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EventPipeline } from "./components/event-pipeline";
import { OrderFulfillment } from "./components/order-fulfillment";
import { ReplicationPipeline } from "./components/replication-pipeline";
import { PlatformOptions } from "./components/shared/platform";

// Stack config is read here and only here; components receive typed args.
const PRODUCTION_STACK = "prod";
const config = new pulumi.Config();
const stack = pulumi.getStack();
const local = config.require("target") === "local";
const forceDestroy = config.requireBoolean("forceDestroy");
// Production data must survive `pulumi destroy`; stop before anything is planned.
if (forceDestroy && stack === PRODUCTION_STACK) {
    throw new Error(`serverless-pipelines:forceDestroy is true on stack ${stack}; production buckets are never force-destroyed. Remove it: pulumi config rm forceDestroy --stack ${stack}`);
}

const platform: PlatformOptions = {
    namePrefix: config.get("namePrefix") || `sp-${stack}`,
    local,
    // Bucket names are global on AWS; the account id keeps two accounts' stacks apart.
    globalNameSuffix: local ? undefined : aws.getCallerIdentityOutput().accountId,
    logRetentionInDays: config.requireNumber("logRetentionDays"),
    protectData: config.requireBoolean("protectData"),
    forceDestroy,
};
/** Path-style API URLs on LocalStack and the sandbox; stage invoke URLs on AWS. */
const localEndpoint = local ? config.require("localEndpoint") : undefined;

// --- ReplicationPipeline (seed 000): POST /builds → build-worker → global-builds → FileCopyWorkflow → regional buckets → regional-sync
const failureNotificationEmail = config.get("failureNotificationEmail");
const replication = new ReplicationPipeline("replication", {
    platform,
    regions: config.getObject<string[]>("regions"),
    hostsPerRegion: config.getNumber("hostsPerRegion"),
    maxConcurrency: config.getNumber("copyMaxConcurrency"),
    notificationEmails: failureNotificationEmail ? [failureNotificationEmail] : [],
    localEndpoint,
});
/** `POST ${buildsApiUrl}/builds {"commit": "abc123"}` */
export const buildsApiUrl = replication.buildsApiUrl;
/** Host records regional-sync writes per region and build; the smoke test expects regions × this many. */
export const hostsPerRegion = replication.hostsPerRegion;
/** `POST ${stepFunctionApiUrl}/step-function {"sourceBucket", "sourceKey", "destinationBuckets"}` */
export const stepFunctionApiUrl = replication.stepFunctionApiUrl;
export const globalBuildsBucket = replication.globalBucketName;
export const regionalBuckets = replication.regionalBucketNames;
export const hostDeploymentTable = replication.hostDeploymentTableName;
export const buildQueueUrl = replication.buildQueueUrl;
export const buildDlqUrl = replication.buildDlqUrl;
export const fileCopyStateMachineArn = replication.stateMachineArn;
export const fileCopyTrackingTable = replication.trackingTableName;
export const fileCopyFailureTopicArn = replication.failureTopicArn;

// --- OrderFulfillment (seeds 002, 003): POST /order → api-handler → order workflow → order queue → fulfill-order → DLQ → dlq-processor
const orders = new OrderFulfillment("orders", {
    platform,
    successRate: config.getNumber("fulfillmentSuccessRate", { min: 0, max: 1 }),
    dlqAlarmThreshold: config.getNumber("dlqAlarmThreshold"),
    alertEmail: config.get("alertEmail") || undefined,
    localEndpoint,
});
/** `POST ${orderApiUrl}/order {"customerId", "productId", "quantity", "price"}`; `GET ${orderApiUrl}/order/{orderId}` */
export const orderApiUrl = orders.apiUrl;
export const ordersTable = orders.ordersTableName;
export const failedOrdersTable = orders.failedOrdersTableName;
export const orderQueueUrl = orders.queueUrl;
export const orderDlqUrl = orders.dlqUrl;
export const orderStateMachineArn = orders.stateMachineArn;
export const orderAlertsTopicArn = orders.alertsTopicArn;

// --- EventPipeline (seed 004): bucket + POST /events → SNS topic (+ EventBridge rule) → queue → event-processor → table → confirmation queue → confirmation-sender
const events = new EventPipeline("events", {
    platform,
    eventTtlDays: config.getNumber("eventTtlDays"),
    eventRulePrefix: config.get("eventRulePrefix"),
    localEndpoint,
});
export const eventBucket = events.bucketName;
export const eventTopicArn = events.topicArn;
export const eventQueueUrl = events.queueUrl;
export const eventDlqUrl = events.dlqUrl;
export const confirmationQueueUrl = events.confirmationQueueUrl;
export const eventsTable = events.tableName;
/** `POST ${eventApiUrl}/events {"type", "subject"?, "payload"?}`; `GET ${eventApiUrl}/events/{eventId}` */
export const eventApiUrl = events.apiUrl;
export const eventAlertsTopicArn = events.alertsTopicArn;
