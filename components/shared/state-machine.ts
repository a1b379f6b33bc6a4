import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy, PolicyStatement, policyDocument } from "./iam";
import { logRetention, physicalName, PlatformOptions, tracingEnabled } from "./platform";

export interface StateMachineArgs {
    platform: PlatformOptions;
    /** Base name; the state machine is `<namePrefix>-<stateMachineName>`. */
    stateMachineName: string;
    /** The Amazon States Language document, as JSON. */
    definition: pulumi.Input<string>;
    /** The role's permissions for the definition's tasks. */
    statements: PolicyStatement[];
}

/**
 * A STANDARD Step Functions state machine with its own role, execution logging to a log group with
 * retention, and X-Ray tracing outside the local target.
 */
export class StateMachine extends pulumi.ComponentResource {
    public readonly stateMachine: aws.sfn.StateMachine;
    public readonly role: aws.iam.Role;
    public readonly logGroup: aws.cloudwatch.LogGroup;
    public readonly arn: pulumi.Output<string>;
    public readonly name: pulumi.Output<string>;

    constructor(name: string, args: StateMachineArgs, opts?: pulumi.ComponentResourceOptions) {
        super("serverless-pipelines:shared:StateMachine", name, {}, opts);
        const stateMachineName = physicalName(args.platform, args.stateMachineName);
        const tracing = tracingEnabled(args.platform);

        // The /aws/vendedlogs/ prefix keeps the log group's resource policy small (AWS guidance for vended logs).
        this.logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, {
            name: `/aws/vendedlogs/states/${stateMachineName}`,
            retentionInDays: logRetention(args.platform),
        }, { parent: this });

        this.role = new aws.iam.Role(`${name}-role`, {
            assumeRolePolicy: assumeRolePolicy("states.amazonaws.com"),
            description: `Execution role of state machine ${stateMachineName}`,
        }, { parent: this });

        const policy = new aws.iam.RolePolicy(`${name}-policy`, {
            role: this.role.id,
            policy: policyDocument([
                ...args.statements,
                // Log delivery APIs do not support resource-level permissions; AWS documents Resource "*".
                {
                    sid: "DeliverExecutionLogs",
                    actions: [
                        "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups",
                        "logs:DescribeResourcePolicies", "logs:GetLogDelivery", "logs:ListLogDeliveries",
                        "logs:PutResourcePolicy", "logs:UpdateLogDelivery",
                    ],
                    resources: ["*"],
                },
                ...(tracing ? [{
                    sid: "WriteTraces",
                    actions: ["xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"],
                    resources: ["*"],
                }] : []),
            ]),
        }, { parent: this });

        this.stateMachine = new aws.sfn.StateMachine(name, {
            name: stateMachineName,
            type: "STANDARD",
            roleArn: this.role.arn,
            definition: args.definition,
            loggingConfiguration: {
                level: "ERROR",
                includeExecutionData: true,
                logDestination: pulumi.interpolate`${this.logGroup.arn}:*`,
            },
            tracingConfiguration: { enabled: tracing },
        }, { parent: this, dependsOn: [policy] });

        this.arn = this.stateMachine.arn;
        this.name = this.stateMachine.name;
        this.registerOutputs({ arn: this.arn });
    }
}
