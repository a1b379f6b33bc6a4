import type * as http from "http";
import type { OperationCall } from "../protocols/wire";

/** Bucket subresources and the S3 operations they name, by method (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html). */
const BUCKET_SUBRESOURCES: Record<string, Record<string, string>> = {
    GET: { versions: "ListObjectVersions", versioning: "GetBucketVersioning", encryption: "GetBucketEncryption", publicAccessBlock: "GetPublicAccessBlock", policy: "GetBucketPolicy", notification: "GetBucketNotificationConfiguration", location: "GetBucketLocation", uploads: "ListMultipartUploads" },
    PUT: { versioning: "PutBucketVersioning" },
    POST: { delete: "DeleteObjects" },
};

function decoded(part: string): string {
    try {
        return decodeURIComponent(part);
    } catch {
        return part;
    }
}

/** An S3 request (path-style) as the operation and the input members the request-context table reads. */
function s3Call(method: string, url: URL, headers: http.IncomingHttpHeaders, body: Buffer): OperationCall | undefined {
    const [, bucketPart = "", ...keyParts] = url.pathname.split("/");
    const Bucket = decoded(bucketPart);
    const Key = keyParts.map(decoded).join("/");
    const params = url.searchParams;
    const VersionId = params.get("versionId") ?? undefined;
    if (!Bucket) {
        return { operation: "ListBuckets", input: {} };
    }
    if (!Key) {
        const subresource = Object.keys(BUCKET_SUBRESOURCES[method] ?? {}).find(name => params.has(name));
        if (subresource === "delete") {
            // DeleteObjects names its keys in the body: <Object><Key>...</Key></Object>.
            const Keys = [...body.toString("utf8").matchAll(/<Key>([^<]*)<\/Key>/g)].map(match => match[1].replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, "\"").replace(/&apos;/g, "'").replace(/&amp;/g, "&"));
            return { operation: "DeleteObjects", input: { Bucket, Keys } };
        }
        if (subresource) {
            return { operation: BUCKET_SUBRESOURCES[method][subresource], input: { Bucket } };
        }
        const plain: Record<string, string> = { GET: params.get("list-type") === "2" ? "ListObjectsV2" : "ListObjects", HEAD: "HeadBucket", PUT: "CreateBucket", DELETE: "DeleteBucket" };
        return plain[method] ? { operation: plain[method], input: { Bucket } } : undefined;
    }
    const input = { Bucket, Key, VersionId };
    const uploadId = params.get("uploadId");
    if (method === "GET" && params.has("tagging")) {
        return { operation: "GetObjectTagging", input };
    }
    if (method === "POST") {
        return params.has("uploads") ? { operation: "CreateMultipartUpload", input } : uploadId ? { operation: "CompleteMultipartUpload", input } : undefined;
    }
    if (method === "PUT") {
        if (uploadId) {
            return { operation: "UploadPart", input };
        }
        const copySource = headers["x-amz-copy-source"];
        return copySource ? { operation: "CopyObject", input: { ...input, CopySource: String(copySource) } } : { operation: "PutObject", input };
    }
    if (method === "DELETE") {
        return { operation: uploadId ? "AbortMultipartUpload" : "DeleteObject", input };
    }
    return { GET: { operation: "GetObject", input }, HEAD: { operation: "HeadObject", input } }[method];
}

/**
 * The operation a request to a service that reads its own wire format asks for, decoded just enough to authorize it:
 * JSON services by X-Amz-Target and body, Lambda by path, S3 by method, path and subresource. Undefined when the
 * request is malformed or unknown: the service answers it with its own error.
 */
export function selfServedCall(service: string, method: string, url: URL, headers: http.IncomingHttpHeaders, body: Buffer): OperationCall | undefined {
    switch (service) {
        case "dynamodb":
        case "states":
        case "events": {
            const operation = String(headers["x-amz-target"] ?? "").split(".")[1];
            try {
                return operation ? { operation, input: JSON.parse(body.toString("utf8") || "{}") } : undefined;
            } catch {
                return undefined;
            }
        }
        case "lambda": {
            const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
            if (method === "POST" && invoke) {
                return { operation: "Invoke", input: { FunctionName: decoded(invoke[1]) } };
            }
            return method === "GET" && /^\/2015-03-31\/functions\/?$/.test(url.pathname) ? { operation: "ListFunctions", input: {} } : undefined;
        }
        case "s3":
            return s3Call(method, url, headers, body);
        default:
            return undefined;
    }
}
