import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { globalName, PlatformOptions } from "./platform";

export interface SecureBucketArgs {
    platform: PlatformOptions;
    /** Base name; the bucket is `<namePrefix>-<bucketName>[-<globalNameSuffix>]`. */
    bucketName: string;
    /** Keep object versions. Default: false. */
    versioning?: boolean;
    /** SSE-KMS with this key instead of SSE-S3. Default: SSE-S3 (AES256). */
    kmsKeyArn?: pulumi.Input<string>;
}

/**
 * An S3 bucket with public access blocked, default encryption, bucket-owner-enforced ownership and a
 * policy that denies any request not made over TLS. It is emptied on destroy only when the platform's
 * `forceDestroy` is set (default false). Notifications belong to the owning component:
 * S3 keeps one notification configuration per bucket.
 */
export class SecureBucket extends pulumi.ComponentResource {
    public readonly bucket: aws.s3.Bucket;
    public readonly name: pulumi.Output<string>;
    public readonly arn: pulumi.Output<string>;
    /** Resolves once the public access block and TLS policy are in place; depend on it before adding notifications. */
    public readonly policy: aws.s3.BucketPolicy;

    constructor(name: string, args: SecureBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("serverless-pipelines:shared:SecureBucket", name, {}, opts);
        this.bucket = new aws.s3.Bucket(name, {
            bucket: globalName(args.platform, args.bucketName),
            forceDestroy: args.platform.forceDestroy ?? false,
        }, { parent: this, protect: args.platform.protectData });

        const publicAccess = new aws.s3.BucketPublicAccessBlock(`${name}-public-access`, {
            bucket: this.bucket.id,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        }, { parent: this });

        new aws.s3.BucketOwnershipControls(`${name}-ownership`, {
            bucket: this.bucket.id,
            rule: { objectOwnership: "BucketOwnerEnforced" },
        }, { parent: this });

        new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, {
            bucket: this.bucket.id,
            rules: [{
                applyServerSideEncryptionByDefault: args.kmsKeyArn
                    ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn }
                    : { sseAlgorithm: "AES256" },
                bucketKeyEnabled: args.kmsKeyArn ? true : undefined,
            }],
        }, { parent: this });

        if (args.versioning) {
            new aws.s3.BucketVersioning(`${name}-versioning`, {
                bucket: this.bucket.id,
                versioningConfiguration: { status: "Enabled" },
            }, { parent: this });
        }

        this.policy = new aws.s3.BucketPolicy(`${name}-tls-only`, {
            bucket: this.bucket.id,
            policy: this.bucket.arn.apply(arn => JSON.stringify({
                Version: "2012-10-17",
                Statement: [{
                    Sid: "DenyInsecureTransport",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: [arn, `${arn}/*`],
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                }],
            })),
        }, { parent: this, dependsOn: [publicAccess] });

        this.name = this.bucket.bucket;
        this.arn = this.bucket.arn;
        this.registerOutputs({ name: this.name, arn: this.arn });
    }
}
