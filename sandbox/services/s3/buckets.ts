import { randomUUID } from "crypto";
import { AwsError, md5Hex, resourcesOfType, SandboxContext } from "../../cloud";

export interface ObjectVersion {
    key: string;
    versionId: string;
    body: Buffer;
    etag: string;
    contentType: string;
    metadata: Record<string, string>;
    /** Object tags (PutObject's x-amz-tagging), copied with the object unless the copy replaces them. */
    tags?: Record<string, string>;
    lastModified: Date;
    deleteMarker: boolean;
}

export interface EncryptionRule { SSEAlgorithm: string; KMSMasterKeyID?: string; BucketKeyEnabled?: boolean }

export interface Bucket {
    name: string;
    createdAt: Date;
    /** Unset until versioning is first configured; then Enabled or Suspended, never unset again. */
    versioning?: "Enabled" | "Suspended";
    encryption: EncryptionRule;
    publicAccessBlock?: Record<"BlockPublicAcls" | "IgnorePublicAcls" | "BlockPublicPolicy" | "RestrictPublicBuckets", boolean>;
    policy?: string;
    /** Every version of every key, oldest first; the last one is the current one. */
    objects: Map<string, ObjectVersion[]>;
    uploads: Map<string, MultipartUpload>;
}

export interface MultipartUpload { key: string; contentType: string; metadata: Record<string, string>; parts: Map<number, { body: Buffer; etag: string; lastModified: Date }> }

/** Parts other than the last must be at least 5 MiB (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html). */
const MIN_PART_SIZE = 5 * 1024 * 1024;

const noSuchKey = () => new AwsError("NoSuchKey", "The specified key does not exist.", 404);

/** The buckets and their objects: versions, delete markers and multipart uploads; nothing about HTTP. */
export class S3Buckets {
    readonly buckets = new Map<string, Bucket>();

    constructor(ctx: SandboxContext) {
        const byBucket = (type: string) => new Map(resourcesOfType(ctx.resources, type).map(resource => [String(resource.inputs.bucket), resource.inputs]));
        const versioning = byBucket("aws:s3/bucketVersioning:BucketVersioning");
        const encryption = byBucket("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
        const publicAccess = byBucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
        const policies = byBucket("aws:s3/bucketPolicy:BucketPolicy");
        for (const resource of resourcesOfType(ctx.resources, "aws:s3/bucket:Bucket")) {
            const name: string = resource.state.bucket;
            const bucket = this.create(name);
            const status = versioning.get(name)?.versioningConfiguration?.status;
            bucket.versioning = status === "Enabled" || status === "Suspended" ? status : undefined;
            const rule = encryption.get(name)?.rules?.[0];
            if (rule?.applyServerSideEncryptionByDefault) {
                const byDefault = rule.applyServerSideEncryptionByDefault;
                bucket.encryption = { SSEAlgorithm: byDefault.sseAlgorithm, ...(byDefault.kmsMasterKeyId ? { KMSMasterKeyID: byDefault.kmsMasterKeyId } : {}), ...(rule.bucketKeyEnabled !== undefined ? { BucketKeyEnabled: rule.bucketKeyEnabled } : {}) };
            }
            const block = publicAccess.get(name);
            if (block) {
                bucket.publicAccessBlock = { BlockPublicAcls: !!block.blockPublicAcls, IgnorePublicAcls: !!block.ignorePublicAcls, BlockPublicPolicy: !!block.blockPublicPolicy, RestrictPublicBuckets: !!block.restrictPublicBuckets };
            }
            bucket.policy = policies.get(name)?.policy;
        }
    }

    /** Creates a bucket (existing ones are kept, as CreateBucket in us-east-1 does for their owner). */
    create(name: string): Bucket {
        const existing = this.buckets.get(name);
        if (existing) {
            return existing;
        }
        // Since January 2023 every new bucket encrypts with SSE-S3 by default (https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-encryption-faq.html).
        const bucket: Bucket = { name, createdAt: new Date(), encryption: { SSEAlgorithm: "AES256", BucketKeyEnabled: false }, objects: new Map(), uploads: new Map() };
        this.buckets.set(name, bucket);
        return bucket;
    }

    bucket(name: string): Bucket {
        const bucket = this.buckets.get(name);
        if (!bucket) {
            throw new AwsError("NoSuchBucket", "The specified bucket does not exist", 404);
        }
        return bucket;
    }

    /** The current version, or the one asked for; a delete marker as current version reads as a missing key. */
    get(bucket: Bucket, key: string, versionId?: string | null): ObjectVersion {
        const versions = bucket.objects.get(key) ?? [];
        if (versionId) {
            const version = versions.find(item => item.versionId === versionId);
            if (!version) {
                throw new AwsError("NoSuchVersion", "The specified version does not exist.", 404);
            }
            if (version.deleteMarker) {
                throw new AwsError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405);
            }
            return version;
        }
        const current = versions[versions.length - 1];
        if (!current || current.deleteMarker) {
            throw noSuchKey();
        }
        return current;
    }

    /** Stores a new current version: a new id when versioning is on, otherwise it replaces the `null` version. */
    put(bucket: Bucket, object: Omit<ObjectVersion, "versionId" | "deleteMarker" | "lastModified" | "etag"> & { etag?: string }, deleteMarker = false): ObjectVersion {
        const version: ObjectVersion = {
            ...object, etag: object.etag ?? md5Hex(object.body), lastModified: new Date(), deleteMarker,
            versionId: bucket.versioning === "Enabled" ? randomUUID().replace(/-/g, "") : "null",
        };
        const versions = (bucket.objects.get(object.key) ?? []).filter(item => item.versionId !== version.versionId);
        bucket.objects.set(object.key, [...versions, version]);
        return version;
    }

    /** DeleteObject: without a version id on a versioned bucket it adds a delete marker; with one it removes that version for good. */
    delete(bucket: Bucket, key: string, versionId?: string | null): ObjectVersion | undefined {
        const versions = bucket.objects.get(key) ?? [];
        if (versionId) {
            const removed = versions.find(item => item.versionId === versionId);
            bucket.objects.set(key, versions.filter(item => item !== removed));
            return removed;
        }
        if (bucket.versioning) {
            return this.put(bucket, { key, body: Buffer.alloc(0), contentType: "", metadata: {} }, true);
        }
        bucket.objects.delete(key);
        return versions[versions.length - 1];
    }

    /** Current, non-deleted objects of a bucket, sorted by key. */
    current(bucket: Bucket): ObjectVersion[] {
        return [...bucket.objects.values()].map(versions => versions[versions.length - 1]).filter(version => version && !version.deleteMarker)
            .sort((a, b) => (a.key < b.key ? -1 : 1));
    }

    startUpload(bucket: Bucket, key: string, contentType: string, metadata: Record<string, string>): string {
        const uploadId = randomUUID();
        bucket.uploads.set(uploadId, { key, contentType, metadata, parts: new Map() });
        return uploadId;
    }

    upload(bucket: Bucket, uploadId: string): MultipartUpload {
        const upload = bucket.uploads.get(uploadId);
        if (!upload) {
            throw new AwsError("NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", 404);
        }
        return upload;
    }

    /** Joins the listed parts; the ETag is the MD5 of the parts' MD5s and their count, as S3 computes it. */
    completeUpload(bucket: Bucket, uploadId: string, listed: { partNumber: number; etag: string }[]): ObjectVersion {
        const upload = this.upload(bucket, uploadId);
        const parts = listed.map((item, index) => {
            const part = upload.parts.get(item.partNumber);
            if (!part || part.etag !== item.etag.replace(/"/g, "")) {
                throw new AwsError("InvalidPart", "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.");
            }
            if (index > 0 && item.partNumber <= listed[index - 1].partNumber) {
                throw new AwsError("InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.");
            }
            if (index < listed.length - 1 && part.body.length < MIN_PART_SIZE) {
                throw new AwsError("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.");
            }
            return part;
        });
        const etag = `${md5Hex(Buffer.concat(parts.map(part => Buffer.from(part.etag, "hex"))))}-${parts.length}`;
        bucket.uploads.delete(uploadId);
        return this.put(bucket, { key: upload.key, body: Buffer.concat(parts.map(part => part.body)), contentType: upload.contentType, metadata: upload.metadata, etag });
    }
}
