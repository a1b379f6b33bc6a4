import { resourcesOfType } from "../cloud";
import type { RecordedResource } from "../mock-cloud";
import type { DeployedRole, Identities, Principal } from "./identity";

/** An IAM policy document as JSON. */
export interface PolicyDocument {
    Version?: string;
    Statement: PolicyStatement[] | PolicyStatement;
}
export interface PolicyStatement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Action?: string | string[];
    Resource?: string | string[];
    Principal?: unknown;
    Condition?: Record<string, Record<string, unknown>>;
}

/** A named identity policy, as the evaluator takes it. */
export interface NamedPolicy {
    name: string;
    policy: PolicyDocument;
}

/** The root of an account may do anything in it unless a resource policy denies it explicitly (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html). */
const ROOT_POLICY: NamedPolicy = { name: "account-root", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } };

function parsed(policy: unknown): PolicyDocument {
    return typeof policy === "string" ? JSON.parse(policy) : policy as PolicyDocument;
}

export function statementsOf(policy: PolicyDocument): PolicyStatement[] {
    return Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
}

/** A KMS key without a policy gets the default one: the account administers and uses it (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html). */
function defaultKeyPolicy(accountId: string): PolicyDocument {
    return { Version: "2012-10-17", Statement: [{ Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" }] };
}

/** A function's permissions (AddPermission) as the resource policy Lambda keeps for it (https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html). */
function lambdaPolicy(functionArn: string, permissions: RecordedResource[]): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: permissions.map(permission => {
            const principal = String(permission.inputs.principal);
            const conditions: Record<string, Record<string, string>> = {};
            if (permission.inputs.sourceArn) {
                conditions.ArnLike = { "AWS:SourceArn": permission.inputs.sourceArn };
            }
            if (permission.inputs.sourceAccount) {
                conditions.StringEquals = { "AWS:SourceAccount": permission.inputs.sourceAccount };
            }
            return {
                Sid: String(permission.inputs.statementId ?? permission.name), Effect: "Allow" as const,
                Principal: principal.endsWith(".amazonaws.com") ? { Service: principal } : { AWS: principal },
                Action: String(permission.inputs.action), Resource: functionArn,
                ...(Object.keys(conditions).length > 0 ? { Condition: conditions } : {}),
            };
        }),
    };
}

/**
 * The policies the sandbox evaluates: each role's inline policies (less the statements a test removes) and the
 * resource policies of buckets, queues, topics, keys and functions, looked up by the ARN a call acts on.
 */
export class DeployedPolicies {
    private readonly identity = new Map<string, NamedPolicy[]>();
    private readonly byResource = new Map<string, PolicyDocument>();
    private readonly keys = new Map<string, string>();
    /** `<role>/<Sid>` → the removed statement, so a denial can name what would allow it. */
    readonly removed = new Map<string, { role: DeployedRole; statement: PolicyStatement }>();

    constructor(readonly identities: Identities, resources: RecordedResource[], withoutStatements: string[] = []) {
        const logicalNames = new Map(resourcesOfType(resources, "aws:iam/role:Role").map(role => [role.state.name as string, role.name]));
        const wanted = new Set(withoutStatements);
        for (const role of identities.roles) {
            const policies = [...role.inlinePolicies].map(([name, text]) => {
                const policy = parsed(text);
                const kept = statementsOf(policy).filter(statement => {
                    const id = [role.name, logicalNames.get(role.name)].map(name => `${name}/${statement.Sid}`).find(key => wanted.has(key));
                    if (id) {
                        this.removed.set(id, { role, statement });
                    }
                    return !id;
                });
                return { name, policy: { ...policy, Statement: kept } };
            });
            this.identity.set(role.arn, policies);
        }
        const missing = withoutStatements.filter(id => !this.removed.has(id));
        if (missing.length > 0) {
            throw new Error(`--without-statement: no role statement ${missing.join(", ")} (use <role logical or physical name>/<Sid>)`);
        }
        this.indexResourcePolicies(resources);
    }

    private indexResourcePolicies(resources: RecordedResource[]): void {
        const { accountId } = this.identities;
        for (const policy of resourcesOfType(resources, "aws:s3/bucketPolicy:BucketPolicy")) {
            this.byResource.set(`arn:aws:s3:::${policy.inputs.bucket}`, parsed(policy.inputs.policy));
        }
        const queues = resourcesOfType(resources, "aws:sqs/queue:Queue");
        for (const policy of resourcesOfType(resources, "aws:sqs/queuePolicy:QueuePolicy")) {
            const queue = queues.find(item => item.state.url === policy.inputs.queueUrl);
            if (queue) {
                this.byResource.set(queue.state.arn, parsed(policy.inputs.policy));
            }
        }
        for (const policy of resourcesOfType(resources, "aws:sns/topicPolicy:TopicPolicy")) {
            this.byResource.set(policy.inputs.arn, parsed(policy.inputs.policy));
        }
        const keys = resourcesOfType(resources, "aws:kms/key:Key");
        for (const key of keys) {
            this.byResource.set(key.state.arn, key.inputs.policy ? parsed(key.inputs.policy) : defaultKeyPolicy(accountId));
        }
        const keyArnOf = (reference: string | undefined): string | undefined => {
            const key = keys.find(item => [item.state.arn, item.state.keyId, item.id].includes(reference))
                ?? keys.find(item => resourcesOfType(resources, "aws:kms/alias:Alias").some(alias => alias.inputs.name === reference && [item.state.keyId, item.state.arn].includes(alias.inputs.targetKeyId)));
            return key?.state.arn;
        };
        for (const resource of [...queues, ...resourcesOfType(resources, "aws:sns/topic:Topic")]) {
            const key = keyArnOf(resource.inputs.kmsMasterKeyId);
            if (key) {
                this.keys.set(resource.state.arn, key);
            }
        }
        const permissions = resourcesOfType(resources, "aws:lambda/permission:Permission");
        for (const fn of resourcesOfType(resources, "aws:lambda/function:Function")) {
            const own = permissions.filter(permission => [fn.state.name, fn.state.arn].includes(permission.inputs.function));
            if (own.length > 0) {
                this.byResource.set(fn.state.arn, lambdaPolicy(fn.state.arn, own));
            }
        }
    }

    /** The identity policies of whoever calls: a role session's role, the root's everything, none for a service. */
    identityPolicies(principal: Principal): NamedPolicy[] {
        switch (principal.kind) {
            case "role":
                return this.identity.get(principal.roleArn) ?? [];
            case "root":
                return [ROOT_POLICY];
            default:
                return [];
        }
    }

    /** A resource policy set while the sandbox runs (SQS `Policy` attribute); undefined removes it. */
    setResourcePolicy(resourceArn: string, policy: PolicyDocument | undefined): void {
        if (policy) {
            this.byResource.set(resourceArn, policy);
        } else {
            this.byResource.delete(resourceArn);
        }
    }

    /** The resource policy governing an ARN: a bucket's for its objects too. */
    resourcePolicy(resourceArn: string): PolicyDocument | undefined {
        return this.byResource.get(resourceArn) ?? (resourceArn.startsWith("arn:aws:s3:::") ? this.byResource.get(resourceArn.split("/")[0]) : undefined);
    }

    /** The customer managed key a topic or queue is encrypted under. */
    keyOf(resourceArn: string): string | undefined {
        return this.keys.get(resourceArn);
    }

    /** The role's statements as granted: for the report. */
    grantsOf(roleArn: string): NamedPolicy[] {
        return this.identity.get(roleArn) ?? [];
    }
}
