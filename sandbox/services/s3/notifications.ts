import { requestId, resourcesOfType, SandboxContext } from "../../cloud";
import { deliverAs } from "../../iam/deliveries";
import type { EventBridgeService } from "../eventbridge";
import type { SnsService } from "../sns";
import type { SqsService } from "../sqs";

/** What an event says about the object it is about. */
export interface NotifiedObject { key: string; size: number; etag: string; versionId?: string }

export interface NotificationTarget { kind: "lambda" | "sns" | "sqs"; arn: string; id?: string; events: string[]; prefix: string; suffix: string }

export interface BucketNotifications { targets: NotificationTarget[]; eventBridge: boolean }

/** Keys in S3 event records are URL-encoded the way S3 does it: form encoding (space → `+`), `/` kept. */
export function s3EventKey(key: string): string {
    return encodeURIComponent(key)
        .replace(/[!'()~]/g, char => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
        .replace(/%20/g, "+")
        .replace(/%2F/g, "/");
}

function eventMatches(patterns: string[], eventName: string): boolean {
    return patterns.some(pattern => pattern.endsWith("*") ? `s3:${eventName}`.startsWith(pattern.slice(0, -1)) : pattern === `s3:${eventName}`);
}

export interface S3EventRecordFields { region: string; bucket: string; key: string; size: number; eTag: string; versionId?: string; sequencer: string; eventName: string; eventTime: string; configurationId: string }

/** One record of an S3 event notification as S3 sends it (the key URL-encoded like S3 does). */
export function s3EventRecord(record: S3EventRecordFields) {
    return {
        eventVersion: "2.1", eventSource: "aws:s3", awsRegion: record.region, eventTime: record.eventTime, eventName: record.eventName,
        userIdentity: { principalId: "AWS:SANDBOX" }, requestParameters: { sourceIPAddress: "127.0.0.1" },
        responseElements: { "x-amz-request-id": requestId(), "x-amz-id-2": requestId() },
        s3: {
            s3SchemaVersion: "1.0", configurationId: record.configurationId,
            bucket: { name: record.bucket, ownerIdentity: { principalId: "SANDBOX" }, arn: `arn:aws:s3:::${record.bucket}` },
            object: { key: s3EventKey(record.key), size: record.size, eTag: record.eTag, ...(record.versionId ? { versionId: record.versionId } : {}), sequencer: record.sequencer },
        },
    };
}

/** The deployed bucket notification configurations and their delivery to Lambda, SNS, SQS and EventBridge. */
export class S3Notifications {
    readonly configurations = new Map<string, BucketNotifications>();
    private sequence = 0;

    constructor(private readonly ctx: SandboxContext, private readonly targets: { sns: SnsService; sqs: SqsService; eventBridge: EventBridgeService }) {
        for (const notification of resourcesOfType(ctx.resources, "aws:s3/bucketNotification:BucketNotification")) {
            const target = (kind: NotificationTarget["kind"], arn: string, item: any): NotificationTarget =>
                ({ kind, arn, id: item.id, events: item.events ?? [], prefix: item.filterPrefix ?? "", suffix: item.filterSuffix ?? "" });
            const bucket: string = notification.inputs.bucket;
            this.configurations.set(bucket, {
                targets: [
                    ...(notification.inputs.lambdaFunctions ?? [])
                        .filter((item: any) => this.mayInvoke(bucket, item.lambdaFunctionArn))
                        .map((item: any) => target("lambda", item.lambdaFunctionArn, item)),
                    ...(notification.inputs.topics ?? []).map((item: any) => target("sns", item.topicArn, item)),
                    ...(notification.inputs.queues ?? []).map((item: any) => target("sqs", item.queueArn, item)),
                ],
                eventBridge: notification.inputs.eventbridge === true,
            });
        }
    }

    /** S3 refuses a notification configuration whose function has no resource policy letting S3 invoke it for this bucket. */
    private mayInvoke(bucket: string, functionArn: string): boolean {
        const functionName = (value: string) => value.split(":function:").pop()!.split(":")[0];
        const allowed = resourcesOfType(this.ctx.resources, "aws:lambda/permission:Permission").some(permission =>
            permission.inputs.action === "lambda:InvokeFunction" && permission.inputs.principal === "s3.amazonaws.com"
            && functionName(String(permission.inputs.function)) === functionName(functionArn)
            && (permission.inputs.sourceArn === undefined || permission.inputs.sourceArn === `arn:aws:s3:::${bucket}`));
        if (!allowed) {
            this.ctx.log({ kind: "error", message: `s3 notification ${bucket} -> ${functionArn} not deployed: Unable to validate the destination configuration (no lambda:InvokeFunction permission for s3.amazonaws.com)` });
        }
        return allowed;
    }

    /** Sends one event (`ObjectCreated:Put`, `ObjectRemoved:DeleteMarkerCreated`...) to every matching target. */
    notify(bucket: string, object: NotifiedObject, eventName: string): void {
        const key = object.key;
        const configuration = this.configurations.get(bucket);
        if (!configuration) {
            return;
        }
        const sequencer = (++this.sequence).toString(16).toUpperCase().padStart(16, "0");
        const time = new Date().toISOString();
        for (const target of configuration.targets.filter(item => eventMatches(item.events, eventName) && key.startsWith(item.prefix) && key.endsWith(item.suffix))) {
            const event = {
                Records: [s3EventRecord({
                    region: this.ctx.region, bucket, key, size: object.size, eTag: object.etag, versionId: object.versionId, sequencer, eventName, eventTime: time,
                    configurationId: target.id ?? "sandbox",
                })],
            };
            this.ctx.log({ kind: "event", message: `s3 ${bucket}/${key} ${eventName} -> ${target.kind} ${target.arn}` });
            // S3 delivers as s3.amazonaws.com for the bucket (https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html).
            const source = `arn:aws:s3:::${bucket}`;
            if (target.kind === "lambda") {
                deliverAs(this.ctx, "s3.amazonaws.com", source, { service: "lambda", operation: "Invoke", input: { FunctionName: target.arn } }, () => this.ctx.functions.invokeAsync(target.arn, event));
            } else if (target.kind === "sns") {
                deliverAs(this.ctx, "s3.amazonaws.com", source, { service: "sns", operation: "Publish", input: { TopicArn: target.arn } }, () => this.targets.sns.publish(target.arn, JSON.stringify(event), "Amazon S3 Notification"));
            } else {
                deliverAs(this.ctx, "s3.amazonaws.com", source, { service: "sqs", operation: "SendMessage", input: { QueueUrl: target.arn } }, () => this.targets.sqs.send(target.arn, JSON.stringify(event)));
            }
        }
        if (configuration.eventBridge && eventName.startsWith("ObjectCreated")) {
            this.targets.eventBridge.put({
                source: "aws.s3", detailType: "Object Created", resources: [`arn:aws:s3:::${bucket}`],
                detail: { version: "0", bucket: { name: bucket }, object: { key, size: object.size, etag: object.etag, ...(object.versionId ? { "version-id": object.versionId } : {}), sequencer }, "request-id": requestId(), requester: this.ctx.accountId, "source-ip-address": "127.0.0.1", reason: eventName === "ObjectCreated:Copy" ? "CopyObject" : "PutObject" },
            });
        }
    }
}
