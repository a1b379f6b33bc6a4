import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy, PolicyStatement, policyDocument } from "./iam";
import { logRetention, physicalName, PlatformOptions, tracingEnabled } from "./platform";
import { productionDependencies, runtimePackageFiles } from "./runtime-packages";

export interface LambdaFunctionArgs<E, R> {
    platform: PlatformOptions;
    /** Base name; the physical name is `<namePrefix>-<functionName>`. */
    functionName: string;
    description?: string;
    /** Handler factory from `functions/`: runs once per container, creates SDK clients, returns the handler. */
    handlerFactory: () => aws.lambda.Callback<E, R>;
    /** Resource names and settings the handler reads. */
    environment?: Record<string, pulumi.Input<string>>;
    /** The role's only permissions besides its own log stream (and X-Ray when tracing). */
    statements?: PolicyStatement[];
    /** npm packages the handler requires at run time; only their traced runtime files are packed. Default: none. */
    runtimePackages?: string[];
    /** Default: 30 s. */
    timeoutSeconds?: number;
    /** Default: 256 MB. */
    memorySizeMb?: number;
    /** Default: unreserved. */
    reservedConcurrency?: number;
}

/**
 * A Node.js Lambda built from a handler factory with `aws.lambda.CallbackFunction`, with its own
 * least-privilege role and a log group with retention. The archive holds the serialized handler and
 * only the runtime files of the packages the handler declares; `@aws-sdk/*` comes from the runtime.
 */
export class LambdaFunction<E = unknown, R = unknown> extends pulumi.ComponentResource {
    public readonly function: aws.lambda.Function;
    public readonly role: aws.iam.Role;
    public readonly logGroup: aws.cloudwatch.LogGroup;
    public readonly name: pulumi.Output<string>;
    public readonly arn: pulumi.Output<string>;
    public readonly invokeArn: pulumi.Output<string>;
    public readonly timeoutSeconds: number;

    constructor(name: string, args: LambdaFunctionArgs<E, R>, opts?: pulumi.ComponentResourceOptions) {
        super("serverless-pipelines:shared:LambdaFunction", name, {}, opts);
        const functionName = physicalName(args.platform, args.functionName);
        const tracing = tracingEnabled(args.platform);
        this.timeoutSeconds = args.timeoutSeconds ?? 30;

        // Created up front so the function never auto-creates a log group without retention.
        this.logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, {
            name: `/aws/lambda/${functionName}`,
            retentionInDays: logRetention(args.platform),
        }, { parent: this });

        this.role = new aws.iam.Role(`${name}-role`, {
            assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"),
            description: `Execution role of ${functionName}`,
        }, { parent: this });

        const statements: PolicyStatement[] = [
            { sid: "WriteOwnLogs", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [pulumi.interpolate`${this.logGroup.arn}:*`] },
            ...(args.statements ?? []),
            // X-Ray has no resource-level permissions, so these two are the only statements on "*".
            ...(tracing ? [{ sid: "WriteTraces", actions: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], resources: ["*"] }] : []),
        ];
        const policy = new aws.iam.RolePolicy(`${name}-policy`, {
            role: this.role.id,
            policy: policyDocument(statements),
        }, { parent: this });

        const packages = args.runtimePackages ?? [];
        this.function = new aws.lambda.CallbackFunction<E, R>(`${name}-function`, {
            name: functionName,
            description: args.description,
            callbackFactory: args.handlerFactory,
            role: this.role.arn,
            runtime: aws.lambda.Runtime.NodeJS22dX,
            timeout: this.timeoutSeconds,
            memorySize: args.memorySizeMb ?? 256,
            reservedConcurrentExecutions: args.reservedConcurrency,
            environment: args.environment ? { variables: args.environment } : undefined,
            tracingConfig: tracing ? { mode: "Active" } : undefined,
            codePathOptions: {
                // Nothing is packed whole: declared packages arrive file by file from the trace.
                extraExcludePackages: productionDependencies(),
                extraIncludePaths: runtimePackageFiles(packages),
            },
        }, { parent: this, dependsOn: [this.logGroup, policy] });

        this.name = this.function.name;
        this.arn = this.function.arn;
        this.invokeArn = this.function.invokeArn;
        this.registerOutputs({ name: this.name, arn: this.arn });
    }
}
