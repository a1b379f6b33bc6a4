import type * as http from "http";
import { AwsError, decodeUriPart, md5Hex, requestId, resourcesOfType, SandboxContext, SandboxService, sendXml, xmlEscape } from "../cloud";
import type { EventBridgeService } from "./eventbridge";
import type { SnsService } from "./sns";
import type { SqsService } from "./sqs";

interface StoredObject { body: Buffer; etag: string; contentType: string; metadata: Record<string, string>; lastModified: Date }

interface NotificationTarget { kind: "lambda" | "sns" | "sqs"; arn: string; id?: string; events: string[]; prefix: string; suffix: string }

interface BucketNotifications { targets: NotificationTarget[]; eventBridge: boolean }

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

/** Strips `aws-chunked` framing (signed or unsigned, trailing checksums ignored) from an upload body. */
function decodeAwsChunked(body: Buffer): Buffer {
    const parts: Buffer[] = [];
    let offset = 0;
    for (;;) {
        const lineEnd = body.indexOf("\r\n", offset);
        const size = parseInt(body.subarray(offset, lineEnd).toString("latin1").split(";")[0], 16);
        if (!size) {
            return Buffer.concat(parts);
        }
        parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
        offset = lineEnd + 2 + size + 2;
    }
}

/** S3 REST-XML, path-style, for the synthesized buckets, with event notifications like S3's. */
export interface S3EventRecordFields { region: string; bucket: string; key: string; size: number; eTag: string; sequencer: string; eventName: string; eventTime: string; configurationId: string }

/** One record of an S3 event notification as S3 sends it (the key URL-encoded like S3 does). */
export function s3EventRecord(record: S3EventRecordFields) {
    return {
        eventVersion: "2.1", eventSource: "aws:s3", awsRegion: record.region, eventTime: record.eventTime, eventName: record.eventName,
        userIdentity: { principalId: "AWS:SANDBOX" }, requestParameters: { sourceIPAddress: "127.0.0.1" },
        responseElements: { "x-amz-request-id": requestId(), "x-amz-id-2": requestId() },
        s3: {
            s3SchemaVersion: "1.0", configurationId: record.configurationId,
            bucket: { name: record.bucket, ownerIdentity: { principalId: "SANDBOX" }, arn: `arn:aws:s3:::${record.bucket}` },
            object: { key: s3EventKey(record.key), size: record.size, eTag: record.eTag, sequencer: record.sequencer },
        },
    };
}

export class S3Service implements SandboxService {
    private readonly buckets = new Map<string, Map<string, StoredObject>>();
    private readonly notifications = new Map<string, BucketNotifications>();
    private sequence = 0;

    constructor(private readonly ctx: SandboxContext, private readonly targets: { sns: SnsService; sqs: SqsService; eventBridge: EventBridgeService }) {
        for (const bucket of resourcesOfType(ctx.resources, "aws:s3/bucket:Bucket")) {
            this.buckets.set(bucket.state.bucket, new Map());
        }
        for (const notification of resourcesOfType(ctx.resources, "aws:s3/bucketNotification:BucketNotification")) {
            const target = (kind: NotificationTarget["kind"], arn: string, item: any): NotificationTarget =>
                ({ kind, arn, id: item.id, events: item.events ?? [], prefix: item.filterPrefix ?? "", suffix: item.filterSuffix ?? "" });
            const bucket: string = notification.inputs.bucket;
            this.notifications.set(bucket, {
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

    async handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<boolean> {
        const url = new URL(req.url ?? "/", "http://sandbox");
        const [, bucketName = "", ...keyParts] = url.pathname.split("/");
        let bucket = "";
        let key = "";
        try {
            bucket = decodeUriPart(bucketName);
            key = keyParts.map(decodeUriPart).join("/");
            if (!bucket) {
                sendXml(res, 200, `<ListAllMyBucketsResult><Buckets>${[...this.buckets.keys()].map(name => `<Bucket><Name>${name}</Name></Bucket>`).join("")}</Buckets></ListAllMyBucketsResult>`);
                return true;
            }
            const objects = this.buckets.get(bucket);
            if (!objects) {
                throw new AwsError("NoSuchBucket", "The specified bucket does not exist", 404);
            }
            if (!key) {
                this.bucketOperation(req, url, bucket, objects, res);
                return true;
            }
            this.objectOperation(req, body, bucket, key, objects, res);
        } catch (error) {
            const failure = error instanceof AwsError ? error : new AwsError("InternalError", (error as Error).message, 500);
            if (req.method === "HEAD") {
                res.writeHead(failure.status, { "x-amz-request-id": requestId() });
                res.end();
            } else {
                sendXml(res, failure.status, `<Error><Code>${failure.code}</Code><Message>${xmlEscape(failure.message)}</Message><BucketName>${xmlEscape(bucket)}</BucketName>${key ? `<Key>${xmlEscape(key)}</Key>` : ""}<RequestId>${requestId()}</RequestId></Error>`);
            }
        }
        return true;
    }

    private bucketOperation(req: http.IncomingMessage, url: URL, bucket: string, objects: Map<string, StoredObject>, res: http.ServerResponse): void {
        if (req.method === "HEAD" || req.method === "PUT") {
            res.writeHead(200, { "x-amz-request-id": requestId(), "content-length": 0 });
            res.end();
            return;
        }
        if (req.method !== "GET") {
            throw new AwsError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405);
        }
        const prefix = url.searchParams.get("prefix") ?? "";
        const maxKeys = Number(url.searchParams.get("max-keys") ?? 1000);
        const after = url.searchParams.get("continuation-token") ?? url.searchParams.get("start-after") ?? "";
        const delimiter = url.searchParams.get("delimiter") ?? "";
        const matching = [...objects.keys()].filter(item => item.startsWith(prefix) && item > after).sort();
        // With a delimiter, keys below the next delimiter after the prefix roll up into one common prefix.
        const rolledUp = (item: string) => (delimiter && item.indexOf(delimiter, prefix.length) >= 0 ? item.slice(0, item.indexOf(delimiter, prefix.length) + delimiter.length) : undefined);
        const commonPrefixes = [...new Set(matching.map(rolledUp).filter((item): item is string => item !== undefined))];
        const keys = matching.filter(item => rolledUp(item) === undefined);
        const page = keys.slice(0, maxKeys);
        const truncated = keys.length > page.length;
        const contents = page.map(item => {
            const object = objects.get(item)!;
            return `<Contents><Key>${xmlEscape(item)}</Key><LastModified>${object.lastModified.toISOString()}</LastModified><ETag>&quot;${object.etag}&quot;</ETag><Size>${object.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
        }).join("");
        sendXml(res, 200, `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${truncated ? `<NextContinuationToken>${xmlEscape(page[page.length - 1])}</NextContinuationToken>` : ""}${contents}${commonPrefixes.map(item => `<CommonPrefixes><Prefix>${xmlEscape(item)}</Prefix></CommonPrefixes>`).join("")}</ListBucketResult>`);
    }

    private objectOperation(req: http.IncomingMessage, body: Buffer, bucket: string, key: string, objects: Map<string, StoredObject>, res: http.ServerResponse): void {
        const headers = { "x-amz-request-id": requestId() };
        switch (req.method) {
            case "PUT": {
                if (req.headers["if-none-match"] === "*" && objects.has(key)) {
                    throw new AwsError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412);
                }
                const copySource = req.headers["x-amz-copy-source"];
                if (copySource) {
                    const [sourceBucket, ...sourceKey] = decodeUriPart(String(copySource).split("?")[0]).replace(/^\//, "").split("/");
                    const source = this.buckets.get(sourceBucket);
                    if (!source) {
                        throw new AwsError("NoSuchBucket", "The specified bucket does not exist", 404);
                    }
                    const original = source.get(sourceKey.join("/"));
                    if (!original) {
                        throw new AwsError("NoSuchKey", "The specified key does not exist.", 404);
                    }
                    const replace = req.headers["x-amz-metadata-directive"] === "REPLACE";
                    const copy = { ...original, lastModified: new Date(), ...(replace ? { metadata: metadataOf(req), contentType: String(req.headers["content-type"] ?? original.contentType) } : {}) };
                    objects.set(key, copy);
                    sendXml(res, 200, `<CopyObjectResult><LastModified>${copy.lastModified.toISOString()}</LastModified><ETag>&quot;${copy.etag}&quot;</ETag></CopyObjectResult>`, headers);
                    this.notify(bucket, key, copy, "ObjectCreated:Copy");
                    return;
                }
                const content = req.headers["content-encoding"]?.includes("aws-chunked") || String(req.headers["x-amz-content-sha256"] ?? "").startsWith("STREAMING-") ? decodeAwsChunked(body) : body;
                const object: StoredObject = { body: content, etag: md5Hex(content), contentType: String(req.headers["content-type"] ?? "application/octet-stream"), metadata: metadataOf(req), lastModified: new Date() };
                objects.set(key, object);
                res.writeHead(200, { ...headers, etag: `"${object.etag}"`, "content-length": 0 });
                res.end();
                this.notify(bucket, key, object, "ObjectCreated:Put");
                return;
            }
            case "GET":
            case "HEAD": {
                const object = objects.get(key);
                if (!object) {
                    throw new AwsError("NoSuchKey", "The specified key does not exist.", 404);
                }
                res.writeHead(200, {
                    ...headers, etag: `"${object.etag}"`, "content-type": object.contentType, "content-length": object.body.length, "last-modified": object.lastModified.toUTCString(),
                    ...Object.fromEntries(Object.entries(object.metadata).map(([name, value]) => [`x-amz-meta-${name}`, value])),
                });
                res.end(req.method === "GET" ? object.body : undefined);
                return;
            }
            case "DELETE": {
                const existing = objects.get(key);
                objects.delete(key);
                res.writeHead(204, headers);
                res.end();
                if (existing) {
                    this.notify(bucket, key, existing, "ObjectRemoved:Delete");
                }
                return;
            }
            default:
                throw new AwsError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405);
        }
    }

    private notify(bucket: string, key: string, object: StoredObject, eventName: string): void {
        const configuration = this.notifications.get(bucket);
        if (!configuration) {
            return;
        }
        const sequencer = (++this.sequence).toString(16).toUpperCase().padStart(16, "0");
        const time = new Date().toISOString();
        for (const target of configuration.targets.filter(item => eventMatches(item.events, eventName) && key.startsWith(item.prefix) && key.endsWith(item.suffix))) {
            const event = {
                Records: [s3EventRecord({
                    region: this.ctx.region, bucket, key, size: object.body.length, eTag: object.etag, sequencer, eventName, eventTime: time,
                    configurationId: target.id ?? "sandbox",
                })],
            };
            this.ctx.log({ kind: "event", message: `s3 ${bucket}/${key} ${eventName} -> ${target.kind} ${target.arn}` });
            if (target.kind === "lambda") {
                this.ctx.functions.invokeAsync(target.arn, event);
            } else if (target.kind === "sns") {
                this.targets.sns.publish(target.arn, JSON.stringify(event), "Amazon S3 Notification");
            } else {
                this.targets.sqs.send(target.arn, JSON.stringify(event));
            }
        }
        if (configuration.eventBridge && eventName.startsWith("ObjectCreated")) {
            this.targets.eventBridge.put({
                source: "aws.s3", detailType: "Object Created", resources: [`arn:aws:s3:::${bucket}`],
                detail: { version: "0", bucket: { name: bucket }, object: { key, size: object.body.length, etag: object.etag, sequencer }, "request-id": requestId(), requester: this.ctx.accountId, "source-ip-address": "127.0.0.1", reason: eventName === "ObjectCreated:Copy" ? "CopyObject" : "PutObject" },
            });
        }
    }
}

function metadataOf(req: http.IncomingMessage): Record<string, string> {
    return Object.fromEntries(Object.entries(req.headers).filter(([name]) => name.startsWith("x-amz-meta-")).map(([name, value]) => [name.slice("x-amz-meta-".length), String(value)]));
}
