import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { physicalName, PlatformOptions } from "./platform";

export interface SecureTableArgs {
    platform: PlatformOptions;
    /** Base name; the table is `<namePrefix>-<tableName>`. */
    tableName: string;
    hashKey: string;
    rangeKey?: string;
    /** Attribute holding an epoch-seconds expiry. Default: no TTL. */
    ttlAttribute?: string;
}

/** An on-demand DynamoDB table, encrypted, with point-in-time recovery outside the local target. */
export function secureTable(name: string, args: SecureTableArgs, opts: pulumi.CustomResourceOptions): aws.dynamodb.Table {
    const keys = [args.hashKey, ...(args.rangeKey ? [args.rangeKey] : [])];
    return new aws.dynamodb.Table(name, {
        name: physicalName(args.platform, args.tableName),
        billingMode: "PAY_PER_REQUEST",
        hashKey: args.hashKey,
        rangeKey: args.rangeKey,
        attributes: keys.map(key => ({ name: key, type: "S" })),
        serverSideEncryption: { enabled: true },
        pointInTimeRecovery: { enabled: !args.platform.local },
        deletionProtectionEnabled: args.platform.protectData ?? false,
        ttl: args.ttlAttribute ? { attributeName: args.ttlAttribute, enabled: true } : undefined,
    }, { ...opts, protect: args.platform.protectData });
}
