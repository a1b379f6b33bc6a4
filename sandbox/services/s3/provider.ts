import * as s3Model from "@aws-sdk/client-s3";
import type * as http from "http";
import { AwsError, decodeUriPart, SandboxContext } from "../../cloud";
import { xmlError, xmlPayload } from "../../protocols/rest-xml";
import { asAwsError, WireResponse, writeResponse } from "../../protocols/wire";
import type { ServiceProvider } from "../../provider";
import type { EventBridgeService } from "../eventbridge";
import type { SnsService } from "../sns";
import type { SqsService } from "../sqs";
import { Bucket, ObjectVersion, S3Buckets } from "./buckets";
import { deleteObjects } from "./delete-objects";
import { s3EventKey, S3Notifications } from "./notifications";
import { objectOperation, S3Request } from "./objects";

const XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";
const OWNER = { ID: "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", DisplayName: "sandbox" };
/** Bucket subresources the sandbox answers; any other one is NotImplemented rather than a listing. */
const BUCKET_SUBRESOURCES = ["versioning", "encryption", "publicAccessBlock", "policy", "notification", "location", "versions", "uploads", "delete"];

/** S3 (restXml, path-style addressing) for the deployed buckets, with versioning, multipart uploads, ranges and event notifications. */
export class S3Service implements ServiceProvider {
    readonly signingName = "s3";
    private readonly store: S3Buckets;
    private readonly notifications: S3Notifications;

    constructor(ctx: SandboxContext, targets: { sns: SnsService; sqs: SqsService; eventBridge: EventBridgeService }) {
        this.store = new S3Buckets(ctx);
        this.notifications = new S3Notifications(ctx, targets);
    }

    async serve(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<void> {
        const url = new URL(req.url ?? "/", "http://sandbox");
        const [, bucketPart = "", ...keyParts] = url.pathname.split("/");
        const method = req.method ?? "GET";
        let request: S3Request | undefined;
        try {
            request = { method, url, headers: req.headers, body, bucket: decodeUriPart(bucketPart), key: keyParts.map(part => decodeUriPart(part)).join("/") };
            writeResponse(res, this.route(request));
        } catch (error) {
            const failure = asAwsError(error);
            const details: Record<string, string> = { ...(request?.bucket ? { BucketName: request.bucket } : {}), ...(request?.key ? { Key: request.key } : {}) };
            const response = xmlError(method, failure.status === 500 ? 500 : failure.status, failure.code === "InternalFailure" ? "InternalError" : failure.code, failure.message, details);
            writeResponse(res, failure.code === "NoSuchKey" && request?.key && this.isDeleteMarker(request) ? { ...response, headers: { ...response.headers, "x-amz-delete-marker": "true" } } : response);
        }
    }

    private isDeleteMarker(request: S3Request): boolean {
        const versions = this.store.buckets.get(request.bucket)?.objects.get(request.key) ?? [];
        return versions[versions.length - 1]?.deleteMarker === true;
    }

    private route(request: S3Request): WireResponse {
        const { method, url, bucket: name, key } = request;
        if (!name) {
            if (method !== "GET") {
                throw new AwsError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405);
            }
            const buckets = [...this.store.buckets.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map(bucket => ({ Name: bucket.name, CreationDate: bucket.createdAt }));
            return this.xml(s3Model.ListBucketsOutput$, { Buckets: buckets, Owner: OWNER });
        }
        if (method === "PUT" && !key && [...url.searchParams.keys()].length === 0) {
            this.store.create(name);
            return { status: 200, headers: { location: `/${name}` } };
        }
        const bucket = this.store.bucket(name);
        if (key) {
            return objectOperation(request, bucket, this.store, this.notifications);
        }
        const subresource = [...url.searchParams.keys()].find(param => BUCKET_SUBRESOURCES.includes(param));
        const unknown = [...url.searchParams.keys()].find(param => !BUCKET_SUBRESOURCES.includes(param) && !["list-type", "prefix", "delimiter", "max-keys", "continuation-token", "start-after", "encoding-type", "marker", "fetch-owner", "key-marker", "version-id-marker", "x-id"].includes(param));
        if (unknown) {
            throw new AwsError("NotImplemented", `The sandbox does not implement the bucket subresource ?${unknown}.`, 501);
        }
        return this.bucketOperation(request, bucket, subresource);
    }

    private xml(schema: readonly unknown[], value: Record<string, unknown>, headers: Record<string, string> = {}): WireResponse {
        return { status: 200, headers: { "content-type": "application/xml", ...headers }, body: xmlPayload(schema, value, XMLNS) };
    }

    private bucketOperation(request: S3Request, bucket: Bucket, subresource: string | undefined): WireResponse {
        const { method } = request;
        const notFound = (code: string, message: string) => new AwsError(code, message, 404);
        switch (`${method} ${subresource ?? ""}`) {
            case "HEAD ":
                return { status: 200, headers: { "x-amz-bucket-region": "us-east-1" } };
            case "DELETE ":
                if (this.store.current(bucket).length > 0 || [...bucket.objects.values()].some(versions => versions.length > 0)) {
                    throw new AwsError("BucketNotEmpty", "The bucket you tried to delete is not empty", 409);
                }
                this.store.buckets.delete(bucket.name);
                return { status: 204, headers: {} };
            case "GET ":
                return this.listObjects(request, bucket);
            case "GET versions":
                return this.listVersions(request, bucket);
            case "GET versioning":
                return this.xml(s3Model.GetBucketVersioningOutput$, bucket.versioning ? { Status: bucket.versioning } : {});
            case "PUT versioning": {
                const status = /<Status>(Enabled|Suspended)<\/Status>/.exec(request.body.toString("utf8"))?.[1] as Bucket["versioning"] | undefined;
                if (!status) {
                    throw new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.");
                }
                bucket.versioning = status;
                return { status: 200, headers: {} };
            }
            case "GET encryption":
                return this.xml(s3Model.ServerSideEncryptionConfiguration$, { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: bucket.encryption.SSEAlgorithm, KMSMasterKeyID: bucket.encryption.KMSMasterKeyID }, BucketKeyEnabled: bucket.encryption.BucketKeyEnabled }] });
            case "GET publicAccessBlock":
                if (!bucket.publicAccessBlock) {
                    throw notFound("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found");
                }
                return this.xml(s3Model.PublicAccessBlockConfiguration$, bucket.publicAccessBlock);
            case "GET policy":
                if (!bucket.policy) {
                    throw notFound("NoSuchBucketPolicy", "The bucket policy does not exist");
                }
                return { status: 200, headers: { "content-type": "application/json" }, body: bucket.policy };
            case "GET notification":
                return this.xml(s3Model.NotificationConfiguration$, this.notificationConfiguration(bucket.name));
            case "POST delete":
                return deleteObjects(request, bucket, this.store, (object, eventName) => this.notifications.notify(bucket.name, { key: object.key, size: object.body.length, etag: object.etag, versionId: bucket.versioning ? object.versionId : undefined }, eventName));
            case "GET location":
                // us-east-1 answers an empty LocationConstraint (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html).
                return { status: 200, headers: { "content-type": "application/xml" }, body: `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="${XMLNS}"/>` };
            default:
                if (subresource) {
                    throw new AwsError("NotImplemented", `The sandbox does not implement ${method} on the bucket subresource ?${subresource}.`, 501);
                }
                throw new AwsError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405);
        }
    }

    /** The bucket's notification configuration in the API's shape, from what the program deployed. */
    private notificationConfiguration(bucket: string): Record<string, unknown> {
        const configuration = this.notifications.configurations.get(bucket);
        const of = (kind: string, arnName: string) => (configuration?.targets ?? []).filter(target => target.kind === kind).map(target => ({
            Id: target.id ?? target.arn, [arnName]: target.arn, Events: target.events,
            ...(target.prefix || target.suffix ? { Filter: { Key: { FilterRules: [...(target.prefix ? [{ Name: "Prefix", Value: target.prefix }] : []), ...(target.suffix ? [{ Name: "Suffix", Value: target.suffix }] : [])] } } } : {}),
        }));
        return {
            TopicConfigurations: of("sns", "TopicArn"), QueueConfigurations: of("sqs", "QueueArn"), LambdaFunctionConfigurations: of("lambda", "LambdaFunctionArn"),
            ...(configuration?.eventBridge ? { EventBridgeConfiguration: {} } : {}),
        };
    }

    /** ListObjectsV2 (`list-type=2`) and ListObjects, with prefix, delimiter roll-up, pages and `encoding-type=url`. */
    private listObjects(request: S3Request, bucket: Bucket): WireResponse {
        const params = request.url.searchParams;
        const v2 = params.get("list-type") === "2";
        const prefix = params.get("prefix") ?? "";
        const delimiter = params.get("delimiter") ?? "";
        const maxKeys = Number(params.get("max-keys") ?? 1000);
        const after = (v2 ? params.get("continuation-token") ?? params.get("start-after") : params.get("marker")) ?? "";
        const encode = params.get("encoding-type") === "url" ? s3EventKey : (text: string) => text;
        // With a delimiter, keys below the next delimiter after the prefix roll up into one common prefix.
        const rolledUp = (key: string) => (delimiter && key.indexOf(delimiter, prefix.length) >= 0 ? key.slice(0, key.indexOf(delimiter, prefix.length) + delimiter.length) : undefined);
        const entries: { key: string; object?: ObjectVersion }[] = [];
        for (const object of this.store.current(bucket).filter(item => item.key.startsWith(prefix) && item.key > after)) {
            const common = rolledUp(object.key);
            if (common === undefined) {
                entries.push({ key: object.key, object });
            } else if (entries[entries.length - 1]?.key !== common && common > after) {
                entries.push({ key: common });
            }
        }
        const page = entries.slice(0, maxKeys);
        const truncated = entries.length > page.length;
        const last = page[page.length - 1]?.key;
        const output = {
            Name: bucket.name, Prefix: encode(prefix), MaxKeys: maxKeys, IsTruncated: truncated,
            ...(delimiter ? { Delimiter: encode(delimiter) } : {}), ...(params.get("encoding-type") === "url" ? { EncodingType: "url" } : {}),
            Contents: page.filter(entry => entry.object).map(({ object }) => ({ Key: encode(object!.key), LastModified: object!.lastModified, ETag: `"${object!.etag}"`, Size: object!.body.length, StorageClass: "STANDARD" })),
            CommonPrefixes: page.filter(entry => !entry.object).map(entry => ({ Prefix: encode(entry.key) })),
            ...(v2 ? {
                KeyCount: page.length, ...(params.has("continuation-token") ? { ContinuationToken: params.get("continuation-token") } : {}),
                ...(params.has("start-after") ? { StartAfter: encode(params.get("start-after")!) } : {}), ...(truncated ? { NextContinuationToken: last } : {}),
            } : { Marker: encode(after), ...(truncated && delimiter ? { NextMarker: encode(last!) } : {}) }),
        };
        return this.xml(v2 ? s3Model.ListObjectsV2Output$ : s3Model.ListObjectsOutput$, output);
    }

    /** ListObjectVersions: every version and delete marker, newest first per key. */
    private listVersions(request: S3Request, bucket: Bucket): WireResponse {
        const params = request.url.searchParams;
        const prefix = params.get("prefix") ?? "";
        const encode = params.get("encoding-type") === "url" ? s3EventKey : (text: string) => text;
        const keys = [...bucket.objects.keys()].filter(key => key.startsWith(prefix)).sort();
        const versions: Record<string, unknown>[] = [];
        const markers: Record<string, unknown>[] = [];
        for (const key of keys) {
            const all = bucket.objects.get(key)!;
            all.slice().reverse().forEach((version, index) => {
                const common = { Key: encode(key), VersionId: version.versionId, IsLatest: index === 0, LastModified: version.lastModified, Owner: OWNER };
                if (version.deleteMarker) {
                    markers.push(common);
                } else {
                    versions.push({ ...common, ETag: `"${version.etag}"`, Size: version.body.length, StorageClass: "STANDARD" });
                }
            });
        }
        return this.xml(s3Model.ListObjectVersionsOutput$, {
            Name: bucket.name, Prefix: encode(prefix), KeyMarker: "", VersionIdMarker: "", MaxKeys: Number(params.get("max-keys") ?? 1000), IsTruncated: false,
            Versions: versions, DeleteMarkers: markers, ...(params.get("encoding-type") === "url" ? { EncodingType: "url" } : {}),
        });
    }
}
