import * as s3Model from "@aws-sdk/client-s3";
import { AwsError } from "../../cloud";
import { xmlPayload } from "../../protocols/rest-xml";
import type { WireResponse } from "../../protocols/wire";
import type { Bucket, ObjectVersion, S3Buckets } from "./buckets";
import type { S3Request } from "./objects";

const XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";
/** DeleteObjects takes at most 1000 keys (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html). */
const MAX_KEYS = 1000;

function xmlText(text: string): string {
    return text.replace(/&(lt|gt|quot|apos|#(\d+)|#x([0-9a-fA-F]+));/g, (entity, name: string, decimal?: string, hex?: string) => {
        if (decimal || hex) {
            return String.fromCodePoint(decimal ? Number(decimal) : parseInt(hex!, 16));
        }
        return ({ lt: "<", gt: ">", quot: "\"", apos: "'" } as Record<string, string>)[name] ?? entity;
    }).replace(/&amp;/g, "&");
}

const malformed = () => new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.");

/** POST /bucket?delete: each listed key or version deleted as DeleteObject would, with per-key results (Quiet: errors only). */
export function deleteObjects(request: S3Request, bucket: Bucket, store: S3Buckets, notify: (object: ObjectVersion, eventName: string) => void): WireResponse {
    const { headers } = request;
    // S3 refuses the request without an integrity header (Content-MD5 or, since 2024, an x-amz-checksum-*).
    if (!headers["content-md5"] && !Object.keys(headers).some(name => name.startsWith("x-amz-checksum-") || name === "x-amz-sdk-checksum-algorithm")) {
        throw new AwsError("InvalidRequest", "Missing required header for this request: Content-MD5");
    }
    const document = request.body.toString("utf8");
    if (!/<Delete[\s>]/.test(document)) {
        throw malformed();
    }
    const listed = [...document.matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map(([, object]) => ({
        key: /<Key>([\s\S]*?)<\/Key>/.exec(object)?.[1], versionId: /<VersionId>([\s\S]*?)<\/VersionId>/.exec(object)?.[1],
    }));
    if (listed.length === 0 || listed.length > MAX_KEYS || listed.some(item => item.key === undefined)) {
        throw malformed();
    }
    const quiet = /<Quiet>\s*true\s*<\/Quiet>/i.test(document);
    const deleted: Record<string, unknown>[] = [];
    const errors: Record<string, unknown>[] = [];
    for (const item of listed) {
        const key = xmlText(item.key!);
        const versionId = item.versionId === undefined ? undefined : xmlText(item.versionId);
        if (versionId && versionId !== "null" && !(bucket.objects.get(key) ?? []).some(version => version.versionId === versionId)) {
            errors.push({ Key: key, VersionId: versionId, Code: "NoSuchVersion", Message: "The specified version does not exist." });
            continue;
        }
        const removed = store.delete(bucket, key, versionId);
        const marker = !versionId && bucket.versioning ? removed : undefined;
        if (removed) {
            notify(removed, marker ? "ObjectRemoved:DeleteMarkerCreated" : "ObjectRemoved:Delete");
        }
        deleted.push({
            Key: key, ...(versionId ? { VersionId: versionId } : {}),
            ...(marker ? { DeleteMarker: true, DeleteMarkerVersionId: marker.versionId } : versionId && removed?.deleteMarker ? { DeleteMarker: true, DeleteMarkerVersionId: versionId } : {}),
        });
    }
    return { status: 200, headers: { "content-type": "application/xml" }, body: xmlPayload(s3Model.DeleteObjectsOutput$, { Deleted: quiet ? [] : deleted, Errors: errors }, XMLNS) };
}
