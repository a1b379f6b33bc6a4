import * as pulumi from "@pulumi/pulumi";

/**
 * Deployment-wide settings every component receives from `index.ts`.
 * Components never read stack config; this is how stack differences reach them.
 */
export interface PlatformOptions {
    /** Prefix of every physical name, e.g. `sp-dev`. Names become `<prefix>-<base>`. */
    namePrefix: string;
    /** True when the target is LocalStack or the sandbox: point-in-time recovery and X-Ray are off. */
    local: boolean;
    /** Appended to globally unique names (S3 buckets) outside the local target, e.g. the account id. Default: none. */
    globalNameSuffix?: pulumi.Input<string>;
    /** Retention of every log group. Default: 14 days. */
    logRetentionInDays?: number;
    /** X-Ray tracing on functions, state machines and API stages. Default: `!local`. */
    tracing?: boolean;
    /** Protect stateful resources (tables, buckets) from deletion. Default: false. */
    protectData?: boolean;
    /**
     * Delete every object (and version) of a bucket when the bucket is destroyed, so `pulumi destroy` of a
     * disposable stack does not stop at BucketNotEmpty.
     * @default false
     */
    forceDestroy?: boolean;
}

export const DEFAULT_LOG_RETENTION_DAYS = 14;

/** `<prefix>-<base>`: the readable physical name used for tables, queues, topics, functions and state machines. */
export function physicalName(platform: PlatformOptions, base: string): string {
    return `${platform.namePrefix}-${base}`;
}

/** A globally unique name (S3): the physical name plus the platform's global suffix when one is set. */
export function globalName(platform: PlatformOptions, base: string): pulumi.Output<string> {
    const name = physicalName(platform, base);
    return pulumi.output(platform.globalNameSuffix).apply(suffix => (suffix ? `${name}-${suffix}` : name));
}

export function tracingEnabled(platform: PlatformOptions): boolean {
    return platform.tracing ?? !platform.local;
}

export function logRetention(platform: PlatformOptions): number {
    return platform.logRetentionInDays ?? DEFAULT_LOG_RETENTION_DAYS;
}
