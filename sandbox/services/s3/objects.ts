import * as s3Model from "@aws-sdk/client-s3";
import type * as http from "http";
import { AwsError, decodeUriPart, md5Hex } from "../../cloud";
import { xmlPayload } from "../../protocols/rest-xml";
import type { WireResponse } from "../../protocols/wire";
import type { Bucket, ObjectVersion, S3Buckets } from "./buckets";
import type { S3Notifications } from "./notifications";

const XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";
/** Object subresources of S3's model (@aws-sdk/client-s3 request URIs `/{Key+}?<name>`) the sandbox does not implement: NotImplemented, never the object. */
const UNIMPLEMENTED_SUBRESOURCES = ["acl", "annotation", "attributes", "encryption", "legal-hold", "renameObject", "restore", "retention", "select", "torrent"];

export interface S3Request { method: string; url: URL; headers: http.IncomingHttpHeaders; body: Buffer; bucket: string; key: string }

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

/** The `x-amz-tagging` header (URL query form) as tags. */
function tagsOf(headers: http.IncomingHttpHeaders): Record<string, string> {
    return Object.fromEntries(new URLSearchParams(String(headers["x-amz-tagging"] ?? "")));
}

function metadataOf(headers: http.IncomingHttpHeaders): Record<string, string> {
    return Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith("x-amz-meta-")).map(([name, value]) => [name.slice("x-amz-meta-".length), String(value)]));
}

/** The upload's bytes: aws-chunked framing removed, Content-MD5 checked when sent. */
function uploadedBody(request: S3Request): Buffer {
    const { headers, body } = request;
    const content = headers["content-encoding"]?.includes("aws-chunked") || String(headers["x-amz-content-sha256"] ?? "").startsWith("STREAMING-") ? decodeAwsChunked(body) : body;
    const md5 = headers["content-md5"];
    if (md5 && Buffer.from(md5Hex(content), "hex").toString("base64") !== md5) {
        throw new AwsError("BadDigest", "The Content-MD5 you specified did not match what we received.");
    }
    return content;
}

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` against a size (https://www.rfc-editor.org/rfc/rfc9110#name-byte-ranges); undefined = whole object. */
function byteRange(header: string | undefined, size: number): [number, number] | undefined {
    const match = /^bytes=(\d*)-(\d*)$/.exec(header ?? "");
    if (!match || (match[1] === "" && match[2] === "")) {
        return undefined;
    }
    const [start, end] = match[1] === "" ? [Math.max(0, size - Number(match[2])), size - 1] : [Number(match[1]), Math.min(match[2] === "" ? size - 1 : Number(match[2]), size - 1)];
    if (start >= size || start > end) {
        throw new AwsError("InvalidRange", "The requested range is not satisfiable", 416);
    }
    return [start, end];
}

/** Headers S3 sends about a stored object: version, encryption, metadata. */
function objectHeaders(bucket: Bucket, object: ObjectVersion): Record<string, string> {
    return {
        etag: `"${object.etag}"`, "last-modified": object.lastModified.toUTCString(),
        ...(bucket.versioning ? { "x-amz-version-id": object.versionId } : {}),
        "x-amz-server-side-encryption": bucket.encryption.SSEAlgorithm,
        ...(bucket.encryption.KMSMasterKeyID ? { "x-amz-server-side-encryption-aws-kms-key-id": bucket.encryption.KMSMasterKeyID } : {}),
        ...(bucket.encryption.BucketKeyEnabled ? { "x-amz-server-side-encryption-bucket-key-enabled": "true" } : {}),
        ...Object.fromEntries(Object.entries(object.metadata).map(([name, value]) => [`x-amz-meta-${name}`, value])),
    };
}

function xml(schema: readonly unknown[], value: Record<string, unknown>, headers: Record<string, string> = {}): WireResponse {
    return { status: 200, headers: { "content-type": "application/xml", ...headers }, body: xmlPayload(schema, value, XMLNS) };
}

/** Object-level operations: Put/Copy/Get/Head/Delete and the multipart upload steps, told apart by method, query and headers. */
export function objectOperation(request: S3Request, bucket: Bucket, store: S3Buckets, notifications: S3Notifications): WireResponse {
    const { method, url, headers, key } = request;
    const versionId = url.searchParams.get("versionId");
    const uploadId = url.searchParams.get("uploadId");
    const notify = (object: ObjectVersion, eventName: string) => notifications.notify(bucket.name, { key, size: object.body.length, etag: object.etag, versionId: bucket.versioning ? object.versionId : undefined }, eventName);
    const unimplemented = UNIMPLEMENTED_SUBRESOURCES.find(name => url.searchParams.has(name)) ?? (url.searchParams.has("tagging") && method !== "GET" ? "tagging" : undefined);
    // ListParts (GET ?uploadId) and UploadPartCopy (PUT ?uploadId with a copy source) are not implemented either.
    if (unimplemented || (uploadId && (method === "GET" || (method === "PUT" && headers["x-amz-copy-source"])))) {
        throw new AwsError("NotImplemented", `The sandbox does not implement ${method} on the object ${unimplemented ? `subresource ?${unimplemented}` : "with ?uploadId"}.`, 501);
    }
    if (method === "GET" && url.searchParams.has("tagging")) {
        const object = store.get(bucket, key, versionId);
        const tagSet = Object.entries(object.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
        return xml(s3Model.Tagging$, { TagSet: tagSet }, bucket.versioning ? { "x-amz-version-id": object.versionId } : {});
    }
    if (method === "POST" && url.searchParams.has("uploads")) {
        const id = store.startUpload(bucket, key, String(headers["content-type"] ?? "binary/octet-stream"), metadataOf(headers));
        return xml(s3Model.CreateMultipartUploadOutput$, { Bucket: bucket.name, Key: key, UploadId: id }, { "x-amz-server-side-encryption": bucket.encryption.SSEAlgorithm });
    }
    if (method === "PUT" && uploadId) {
        const partNumber = Number(url.searchParams.get("partNumber"));
        if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
            throw new AwsError("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive");
        }
        const body = uploadedBody(request);
        const etag = md5Hex(body);
        store.upload(bucket, uploadId).parts.set(partNumber, { body, etag, lastModified: new Date() });
        return { status: 200, headers: { etag: `"${etag}"`, "x-amz-server-side-encryption": bucket.encryption.SSEAlgorithm } };
    }
    if (method === "POST" && uploadId) {
        const listed = [...request.body.toString("utf8").matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map(([, part]) => ({
            partNumber: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(part)?.[1]), etag: /<ETag>([^<]*)<\/ETag>/.exec(part)?.[1]?.replace(/&quot;/g, "\"") ?? "",
        }));
        if (listed.length === 0) {
            throw new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.");
        }
        const object = store.completeUpload(bucket, uploadId, listed);
        notify(object, "ObjectCreated:CompleteMultipartUpload");
        return xml(s3Model.CompleteMultipartUploadOutput$, { Location: `/${bucket.name}/${key}`, Bucket: bucket.name, Key: key, ETag: `"${object.etag}"` }, bucket.versioning ? { "x-amz-version-id": object.versionId } : {});
    }
    if (method === "DELETE" && uploadId) {
        store.upload(bucket, uploadId);
        bucket.uploads.delete(uploadId);
        return { status: 204, headers: {} };
    }
    switch (method) {
        case "PUT": {
            const current = bucket.objects.get(key)?.at(-1);
            if (headers["if-none-match"] === "*" && current && !current.deleteMarker) {
                throw new AwsError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412);
            }
            const copySource = headers["x-amz-copy-source"];
            if (copySource) {
                const [source, sourceVersion] = String(copySource).split("?versionId=");
                const [sourceBucket, ...sourceKey] = decodeUriPart(source).replace(/^\//, "").split("/");
                const original = store.get(store.bucket(sourceBucket), sourceKey.join("/"), sourceVersion);
                const replace = headers["x-amz-metadata-directive"] === "REPLACE";
                const copy = store.put(bucket, {
                    ...original, key, ...(replace ? { metadata: metadataOf(headers), contentType: String(headers["content-type"] ?? original.contentType) } : {}),
                    ...(headers["x-amz-tagging-directive"] === "REPLACE" ? { tags: tagsOf(headers) } : {}),
                });
                notify(copy, "ObjectCreated:Copy");
                return xml(s3Model.CopyObjectResult$, { LastModified: copy.lastModified, ETag: `"${copy.etag}"` }, objectHeaders(bucket, copy));
            }
            const object = store.put(bucket, { key, body: uploadedBody(request), contentType: String(headers["content-type"] ?? "binary/octet-stream"), metadata: metadataOf(headers), tags: tagsOf(headers) });
            notify(object, "ObjectCreated:Put");
            return { status: 200, headers: objectHeaders(bucket, object) };
        }
        case "GET":
        case "HEAD": {
            const object = store.get(bucket, key, versionId);
            const range = byteRange(headers.range, object.body.length);
            const body = range ? object.body.subarray(range[0], range[1] + 1) : object.body;
            return {
                status: range ? 206 : 200,
                headers: {
                    ...objectHeaders(bucket, object), "content-type": object.contentType, "accept-ranges": "bytes", "content-length": body.length,
                    ...(range ? { "content-range": `bytes ${range[0]}-${range[1]}/${object.body.length}` } : {}),
                },
                body: method === "GET" ? body : undefined,
            };
        }
        case "DELETE": {
            const removed = store.delete(bucket, key, versionId);
            const marker = !versionId && bucket.versioning ? removed : undefined;
            if (removed) {
                notify(removed, marker ? "ObjectRemoved:DeleteMarkerCreated" : "ObjectRemoved:Delete");
            }
            return {
                status: 204,
                headers: {
                    ...(marker ? { "x-amz-delete-marker": "true", "x-amz-version-id": marker.versionId } : {}),
                    ...(versionId ? { "x-amz-version-id": versionId, ...(removed?.deleteMarker ? { "x-amz-delete-marker": "true" } : {}) } : {}),
                },
            };
        }
        default:
            throw new AwsError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405);
    }
}
