import type { PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";

/**
 * The project's rules (DESIGN.md "Secure defaults") as mandatory CrossGuard policies. Plain objects so
 * tests call `validateResource` / `validateStack` directly; `index.ts` puts them in the PolicyPack.
 * Policies that relate resources (a bucket and its encryption config, a queue and its consumer) are
 * stack policies and match by the values the engine resolves (bucket name, queue ARN).
 */

const BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
const PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const ENCRYPTION_TYPES = [
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
];
const BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";
const QUEUE = "aws:sqs/queue:Queue";
const EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping";
const SSE_ALGORITHMS = ["AES256", "aws:kms", "aws:kms:dsse"];
/** Lambda's maximum; a function that may run longer is misconfigured. */
const MAX_LAMBDA_TIMEOUT_SECONDS = 900;
const MIN_NODEJS_MAJOR = 22;

/**
 * Actions AWS documents as supporting only `Resource: "*"`: X-Ray trace writes and the CloudWatch Logs
 * log-delivery APIs Step Functions logging needs. Any other `*` resource is a violation.
 */
export const ACTIONS_ALLOWED_ON_ANY_RESOURCE = [
    "xray:*",
    "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:UpdateLogDelivery",
];

/** Config shared by the policies that differ per stack. */
export interface StackPolicyConfig {
    /** Stacks that target LocalStack or the sandbox, where point-in-time recovery is off. Default: ["local"]. */
    localStacks?: string[];
}

const localStacksSchema = {
    properties: {
        localStacks: { type: "array" as const, items: { type: "string" as const }, default: ["local"] },
    },
};

/** The stack a URN belongs to: `urn:pulumi:<stack>::<project>::<type>::<name>`. */
export function stackOfUrn(urn: string): string {
    return urn.split("::")[0].replace(/^urn:pulumi:/, "");
}

function isLocalStack(args: { urn: string; getConfig<T extends object>(): T }): boolean {
    const localStacks = args.getConfig<StackPolicyConfig>().localStacks ?? ["local"];
    return localStacks.includes(stackOfUrn(args.urn));
}

function parseDocument(policy: unknown): any {
    return typeof policy === "string" ? JSON.parse(policy) : policy;
}

function asList<T>(value: T | T[] | undefined): T[] {
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function bucketsOf(resources: PolicyResource[]): PolicyResource[] {
    return resources.filter(resource => BUCKET_TYPES.includes(resource.type));
}

/** Resources of `types` whose `bucket` property names `bucket` (by value, or by dependency while values are unknown). */
function attachedTo(resources: PolicyResource[], types: string[], bucket: PolicyResource): PolicyResource[] {
    return resources.filter(resource => types.includes(resource.type) && (
        resource.props.bucket === bucket.props.bucket
        || (resource.propertyDependencies?.bucket ?? []).some(dependency => dependency.urn === bucket.urn)));
}

export const bucketsBlockPublicAccess: StackValidationPolicy = {
    name: "s3-buckets-block-public-access",
    description: "Every S3 bucket has a public access block with all four settings on.",
    enforcementLevel: "mandatory",
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
        const flags = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];
        for (const bucket of bucketsOf(args.resources)) {
            const blocks = attachedTo(args.resources, [PUBLIC_ACCESS_BLOCK], bucket);
            if (!blocks.some(block => flags.every(flag => block.props[flag] === true))) {
                reportViolation(`Bucket ${bucket.name} has no BucketPublicAccessBlock with ${flags.join(", ")} all true.`, bucket.urn);
            }
        }
    },
};

export const bucketsEncrypted: StackValidationPolicy = {
    name: "s3-buckets-encrypted",
    description: "Every S3 bucket has a default server-side encryption configuration.",
    enforcementLevel: "mandatory",
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
        for (const bucket of bucketsOf(args.resources)) {
            const rules = [
                ...attachedTo(args.resources, ENCRYPTION_TYPES, bucket).flatMap(config => asList<any>(config.props.rules)),
                ...asList<any>(bucket.props.serverSideEncryptionConfiguration?.rule),
            ];
            if (!rules.some(rule => SSE_ALGORITHMS.includes(rule?.applyServerSideEncryptionByDefault?.sseAlgorithm))) {
                reportViolation(`Bucket ${bucket.name} has no default encryption (${SSE_ALGORITHMS.join(" | ")}).`, bucket.urn);
            }
        }
    },
};

/** True when a bucket policy statement denies every request made without TLS. */
function deniesInsecureTransport(statement: any): boolean {
    const secureTransport = statement?.Condition?.Bool?.["aws:SecureTransport"];
    return statement?.Effect === "Deny" && String(secureTransport) === "false"
        && asList<string>(statement.Action).some(action => action === "s3:*" || action === "*");
}

export const bucketsDenyInsecureTransport: StackValidationPolicy = {
    name: "s3-buckets-deny-insecure-transport",
    description: "Every S3 bucket has a bucket policy denying requests with aws:SecureTransport false.",
    enforcementLevel: "mandatory",
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
        for (const bucket of bucketsOf(args.resources)) {
            const statements = attachedTo(args.resources, [BUCKET_POLICY], bucket)
                .flatMap(policy => asList<any>(parseDocument(policy.props.policy)?.Statement));
            if (!statements.some(deniesInsecureTransport)) {
                reportViolation(`Bucket ${bucket.name} has no policy statement denying s3:* when aws:SecureTransport is false.`, bucket.urn);
            }
        }
    },
};

export const queuesEncrypted: ResourceValidationPolicy = {
    name: "sqs-queues-encrypted",
    description: "Every SQS queue is encrypted with SSE-SQS or SSE-KMS.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (args.type === QUEUE && args.props.sqsManagedSseEnabled !== true && !args.props.kmsMasterKeyId) {
            reportViolation(`Queue ${args.name} sets neither sqsManagedSseEnabled nor kmsMasterKeyId.`);
        }
    },
};

export const topicsEncrypted: ResourceValidationPolicy = {
    name: "sns-topics-encrypted",
    description: "Every SNS topic is encrypted with a KMS key.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (args.type === "aws:sns/topic:Topic" && !args.props.kmsMasterKeyId) {
            reportViolation(`Topic ${args.name} has no kmsMasterKeyId.`);
        }
    },
};

const TOPIC = "aws:sns/topic:Topic";
const TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy";

/** True when a topic policy statement denies publishing without TLS to everyone. */
function deniesPublishWithoutTls(statement: any): boolean {
    const secureTransport = statement?.Condition?.Bool?.["aws:SecureTransport"];
    return statement?.Effect === "Deny" && String(secureTransport) === "false" && statement.Principal === "*"
        && asList<string>(statement.Action).some(action => ["sns:publish", "sns:*", "*"].includes(action.toLowerCase()));
}

export const topicsDenyInsecureTransport: StackValidationPolicy = {
    name: "sns-topics-deny-insecure-transport",
    description: "Every SNS topic has its own topic policy (not SNS's account-wide default) denying sns:Publish when aws:SecureTransport is false.",
    enforcementLevel: "mandatory",
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
        const policies = args.resources.filter(resource => resource.type === TOPIC_POLICY);
        for (const topic of args.resources.filter(resource => resource.type === TOPIC)) {
            const statements = policies
                .filter(policy => policy.props.arn === topic.props.arn
                    || (policy.propertyDependencies?.arn ?? []).some(dependency => dependency.urn === topic.urn))
                .flatMap(policy => asList<any>(parseDocument(policy.props.policy)?.Statement));
            if (!statements.some(deniesPublishWithoutTls)) {
                reportViolation(`Topic ${topic.name} has no topic policy denying sns:Publish when aws:SecureTransport is false.`, topic.urn);
            }
        }
    },
};

export const consumedQueuesHaveDeadLetterQueue: StackValidationPolicy = {
    name: "sqs-consumed-queues-have-dlq",
    description: "Every queue a Lambda function consumes has a redrive policy to a dead-letter queue; a DLQ itself is exempt.",
    enforcementLevel: "mandatory",
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
        const queues = args.resources.filter(resource => resource.type === QUEUE);
        const redriveOf = (queue: PolicyResource) => queue.props.redrivePolicy ? parseDocument(queue.props.redrivePolicy) : undefined;
        // Messages a DLQ's consumer fails stay in the DLQ until retention ends: it is the end of the line.
        const deadLetterArns = new Set(queues.map(queue => redriveOf(queue)?.deadLetterTargetArn).filter(Boolean));
        for (const mapping of args.resources.filter(resource => resource.type === EVENT_SOURCE_MAPPING)) {
            const queue = queues.find(candidate => candidate.props.arn === mapping.props.eventSourceArn
                || (mapping.propertyDependencies?.eventSourceArn ?? []).some(dependency => dependency.urn === candidate.urn));
            if (!queue || deadLetterArns.has(queue.props.arn)) {
                continue;
            }
            const redrive = redriveOf(queue);
            if (!redrive?.deadLetterTargetArn || !(Number(redrive.maxReceiveCount) > 0)) {
                reportViolation(`Queue ${queue.name} is consumed by ${mapping.name} but has no redrive policy with a DLQ and maxReceiveCount.`, queue.urn);
            }
        }
    },
};

export const tablesEncryptedWithRecovery: ResourceValidationPolicy = {
    name: "dynamodb-tables-encrypted-with-pitr",
    description: "Every DynamoDB table has server-side encryption, and point-in-time recovery outside local stacks.",
    enforcementLevel: "mandatory",
    configSchema: localStacksSchema,
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (args.type !== "aws:dynamodb/table:Table") {
            return;
        }
        if (args.props.serverSideEncryption?.enabled !== true) {
            reportViolation(`Table ${args.name} does not enable serverSideEncryption.`);
        }
        if (!isLocalStack(args) && args.props.pointInTimeRecovery?.enabled !== true) {
            reportViolation(`Table ${args.name} has no point-in-time recovery on stack ${stackOfUrn(args.urn)}.`);
        }
    },
};

const IAM_POLICY_PROPS: Record<string, string> = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
};

/** The identity-policy documents a resource carries: its own `policy` or a role's inline policies. */
function identityDocuments(args: ResourceValidationArgs): any[] {
    const prop = IAM_POLICY_PROPS[args.type];
    if (prop) {
        return [parseDocument(args.props[prop])];
    }
    if (args.type === "aws:iam/role:Role") {
        return asList<any>(args.props.inlinePolicies).map(inline => parseDocument(inline.policy)).filter(Boolean);
    }
    return [];
}

/** `*`, `s3:*` and `s3:Get*` alike: a wildcard grants actions nobody reviewed. */
function isWildcardAction(action: string): boolean {
    return action.includes("*");
}

function allowedOnAnyResource(action: string): boolean {
    return ACTIONS_ALLOWED_ON_ANY_RESOURCE.some(allowed => allowed.endsWith(":*")
        ? action.startsWith(allowed.slice(0, -1))
        : action === allowed);
}

export const iamNoWildcards: ResourceValidationPolicy = {
    name: "iam-no-wildcard-actions-or-resources",
    description: "No IAM Allow statement grants a wildcard action or NotAction, and Resource \"*\" appears only with actions AWS documents as resource-less.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        for (const document of identityDocuments(args)) {
            for (const statement of asList<any>(document?.Statement)) {
                if (statement.Effect !== "Allow") {
                    continue;
                }
                const label = statement.Sid ?? asList<string>(statement.Action).join(",");
                if (statement.NotAction !== undefined || statement.NotResource !== undefined) {
                    reportViolation(`${args.name} statement ${label} uses NotAction/NotResource.`);
                }
                const actions = asList<string>(statement.Action);
                for (const action of actions.filter(isWildcardAction)) {
                    reportViolation(`${args.name} statement ${label} grants wildcard action ${action}.`);
                }
                const anyResource = asList<string>(statement.Resource).includes("*");
                const unexpected = actions.filter(action => !allowedOnAnyResource(action));
                if (anyResource && unexpected.length > 0) {
                    reportViolation(`${args.name} statement ${label} grants ${unexpected.join(", ")} on Resource "*".`);
                }
            }
        }
    },
};

/** AWS managed policies that grant whole services (what CallbackFunction attaches without an explicit role). */
function isBroadManagedPolicy(policyArn: unknown): boolean {
    return typeof policyArn === "string" && /^arn:aws[a-z-]*:iam::aws:policy\/(AdministratorAccess|PowerUserAccess|.*FullAccess)$/.test(policyArn);
}

export const iamNoBroadManagedPolicies: ResourceValidationPolicy = {
    name: "iam-no-broad-managed-policies",
    description: "No role gets AdministratorAccess, PowerUserAccess or a *FullAccess managed policy.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        const arns = args.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment" ? [args.props.policyArn]
            : args.type === "aws:iam/role:Role" ? asList<string>(args.props.managedPolicyArns)
                : [];
        for (const arn of arns.filter(isBroadManagedPolicy)) {
            reportViolation(`${args.name} attaches broad managed policy ${arn}.`);
        }
    },
};

export const lambdaRuntimeAndTimeout: ResourceValidationPolicy = {
    name: "lambda-current-runtime-bounded-timeout",
    description: `Every Lambda function runs nodejs${MIN_NODEJS_MAJOR}.x or newer with a timeout between 1 and ${MAX_LAMBDA_TIMEOUT_SECONDS} seconds.`,
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (args.type !== "aws:lambda/function:Function") {
            return;
        }
        if (args.props.packageType !== "Image") {
            const major = /^nodejs(\d+)\.x$/.exec(args.props.runtime ?? "")?.[1];
            if (!major || Number(major) < MIN_NODEJS_MAJOR) {
                reportViolation(`Function ${args.name} runs ${args.props.runtime ?? "no declared runtime"}; use nodejs${MIN_NODEJS_MAJOR}.x or newer.`);
            }
        }
        const timeout = args.props.timeout;
        if (typeof timeout !== "number" || timeout < 1 || timeout > MAX_LAMBDA_TIMEOUT_SECONDS) {
            reportViolation(`Function ${args.name} has timeout ${timeout ?? "unset"}; set 1..${MAX_LAMBDA_TIMEOUT_SECONDS} seconds explicitly.`);
        }
    },
};

export const logGroupsHaveRetention: ResourceValidationPolicy = {
    name: "log-groups-have-retention",
    description: "Every CloudWatch log group sets retentionInDays.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (args.type === "aws:cloudwatch/logGroup:LogGroup" && !(Number(args.props.retentionInDays) > 0)) {
            reportViolation(`Log group ${args.name} keeps logs forever; set retentionInDays.`);
        }
    },
};

export const resourcePolicies: ResourceValidationPolicy[] = [
    queuesEncrypted, topicsEncrypted, tablesEncryptedWithRecovery, iamNoWildcards, iamNoBroadManagedPolicies,
    lambdaRuntimeAndTimeout, logGroupsHaveRetention,
];

export const stackPolicies: StackValidationPolicy[] = [
    bucketsBlockPublicAccess, bucketsEncrypted, bucketsDenyInsecureTransport, topicsDenyInsecureTransport, consumedQueuesHaveDeadLetterQueue,
];

export const policies = [...resourcePolicies, ...stackPolicies];
