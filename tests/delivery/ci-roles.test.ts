import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import type { RecordedResource } from "../../sandbox/mock-cloud";
import { PROJECT_DIR, synthesizeStack } from "../support/program";
import { actionsOf, allows, IAM_DIR, PolicyDocument, readPolicy } from "./iam-policy";

const readYaml = (relativePath: string): any => YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, relativePath), "utf8"));
const OIDC_PROVIDER = "token.actions.githubusercontent.com";
const STATE_BUCKET = "example-state-bucket";

/** What the provider calls for each resource type the program creates, and on which ARN. */
type Requirement = { actions: string[]; arn: (resource: RecordedResource) => string; context?: (resource: RecordedResource) => Record<string, string> };

describe("delivery: CI roles (.github/iam)", () => {
    const region: string = readYaml("Pulumi.dev.yaml").config["aws:region"];
    const deployWorkflow = readYaml(".github/workflows/deploy.yml");
    let awsResources: RecordedResource[];
    let account: string;
    let deployPolicy: PolicyDocument;
    let previewPolicy: PolicyDocument;

    before(() => {
        awsResources = synthesizeStack("dev").resources.filter(resource => resource.type.startsWith("aws:"));
        account = awsResources.find(resource => resource.type === "aws:iam/role:Role")!.state.arn.split(":")[4];
        deployPolicy = readPolicy("deploy-role.policy.json", { ACCOUNT_ID: account, STATE_BUCKET });
        previewPolicy = readPolicy("preview-role.policy.json", { ACCOUNT_ID: account, STATE_BUCKET });
    });

    const queueArn = (url: string) => {
        const [, , host, queueAccount, queueName] = url.split("/");
        return `arn:aws:sqs:${host.split(".")[1]}:${queueAccount}:${queueName}`;
    };
    const restApi = (resource: RecordedResource) => `arn:aws:apigateway:${region}::/restapis/${resource.inputs.restApi ?? resource.inputs.restApiId}/any`;
    const bucket = (resource: RecordedResource) => `arn:aws:s3:::${resource.inputs.bucket}`;
    const own = (resource: RecordedResource) => resource.state.arn as string;
    const api = ["apigateway:GET", "apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"];
    const REQUIRED: Record<string, Requirement> = {
        "aws:apigateway/restApi:RestApi": { actions: ["apigateway:GET", "apigateway:PATCH", "apigateway:PUT", "apigateway:DELETE"], arn: own },
        "aws:apigateway/resource:Resource": { actions: api, arn: restApi },
        "aws:apigateway/method:Method": { actions: api, arn: restApi },
        "aws:apigateway/methodResponse:MethodResponse": { actions: api, arn: restApi },
        "aws:apigateway/integration:Integration": { actions: api, arn: restApi },
        "aws:apigateway/integrationResponse:IntegrationResponse": { actions: api, arn: restApi },
        "aws:apigateway/model:Model": { actions: api, arn: restApi },
        "aws:apigateway/requestValidator:RequestValidator": { actions: api, arn: restApi },
        "aws:apigateway/response:Response": { actions: api, arn: restApi },
        "aws:apigateway/deployment:Deployment": { actions: api, arn: restApi },
        "aws:apigateway/stage:Stage": { actions: api, arn: restApi },
        "aws:apigateway/methodSettings:MethodSettings": { actions: api, arn: restApi },
        "aws:cloudwatch/dashboard:Dashboard": {
            actions: ["cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"],
            arn: resource => `arn:aws:cloudwatch::${account}:dashboard/${resource.inputs.dashboardName}`,
        },
        "aws:cloudwatch/metricAlarm:MetricAlarm": { actions: ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms", "cloudwatch:ListTagsForResource"], arn: own },
        "aws:cloudwatch/eventRule:EventRule": { actions: ["events:PutRule", "events:DescribeRule", "events:DeleteRule", "events:ListTagsForResource"], arn: own },
        "aws:cloudwatch/eventTarget:EventTarget": {
            actions: ["events:PutTargets", "events:ListTargetsByRule", "events:RemoveTargets"],
            arn: resource => `arn:aws:events:${region}:${account}:rule/${resource.inputs.rule}`,
        },
        "aws:cloudwatch/logGroup:LogGroup": {
            actions: ["logs:CreateLogGroup", "logs:DescribeLogGroups", "logs:PutRetentionPolicy", "logs:ListTagsForResource", "logs:DeleteLogGroup"], arn: own,
        },
        "aws:cloudwatch/logMetricFilter:LogMetricFilter": {
            actions: ["logs:PutMetricFilter", "logs:DescribeMetricFilters", "logs:DeleteMetricFilter"],
            arn: resource => `arn:aws:logs:${region}:${account}:log-group:${resource.inputs.logGroupName}`,
        },
        "aws:dynamodb/table:Table": {
            actions: ["dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:UpdateTable", "dynamodb:DeleteTable", "dynamodb:DescribeTimeToLive",
                "dynamodb:UpdateTimeToLive", "dynamodb:DescribeContinuousBackups", "dynamodb:UpdateContinuousBackups", "dynamodb:ListTagsOfResource"],
            arn: own,
        },
        "aws:iam/role:Role": { actions: ["iam:CreateRole", "iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:DeleteRole"], arn: own },
        "aws:iam/rolePolicy:RolePolicy": {
            actions: ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"],
            arn: resource => `arn:aws:iam::${account}:role/${resource.inputs.role}`,
        },
        "aws:kms/key:Key": {
            actions: ["kms:CreateKey", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:GetKeyRotationStatus",
                "kms:ListResourceTags", "kms:ScheduleKeyDeletion"],
            arn: own,
        },
        "aws:kms/alias:Alias": { actions: ["kms:CreateAlias", "kms:ListAliases", "kms:DeleteAlias"], arn: resource => `arn:aws:kms:${region}:${account}:${resource.inputs.name}` },
        "aws:lambda/function:Function": {
            actions: ["lambda:CreateFunction", "lambda:GetFunction", "lambda:ListVersionsByFunction", "lambda:GetFunctionCodeSigningConfig",
                "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:PutFunctionConcurrency", "lambda:DeleteFunction"],
            arn: own,
        },
        "aws:lambda/permission:Permission": {
            actions: ["lambda:AddPermission", "lambda:GetPolicy", "lambda:RemovePermission"],
            arn: resource => `arn:aws:lambda:${region}:${account}:function:${resource.inputs.function}`,
        },
        "aws:lambda/eventSourceMapping:EventSourceMapping": {
            actions: ["lambda:CreateEventSourceMapping", "lambda:GetEventSourceMapping", "lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"],
            arn: own,
            context: resource => ({ "lambda:FunctionArn": `arn:aws:lambda:${region}:${account}:function:${resource.inputs.functionName}` }),
        },
        "aws:s3/bucket:Bucket": {
            // forceDestroy (non-prod stacks) empties the bucket before DeleteBucket.
            actions: ["s3:CreateBucket", "s3:ListBucket", "s3:GetBucketPolicy", "s3:GetBucketAcl", "s3:GetEncryptionConfiguration", "s3:ListBucketVersions", "s3:DeleteBucket"],
            arn: own,
        },
        "aws:s3/bucketPolicy:BucketPolicy": { actions: ["s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"], arn: bucket },
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": { actions: ["s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"], arn: bucket },
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls": { actions: ["s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"], arn: bucket },
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
            actions: ["s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"], arn: bucket,
        },
        "aws:s3/bucketVersioning:BucketVersioning": { actions: ["s3:PutBucketVersioning", "s3:GetBucketVersioning"], arn: bucket },
        "aws:s3/bucketNotification:BucketNotification": { actions: ["s3:PutBucketNotification", "s3:GetBucketNotification"], arn: bucket },
        "aws:sfn/stateMachine:StateMachine": {
            actions: ["states:ValidateStateMachineDefinition", "states:CreateStateMachine", "states:DescribeStateMachine", "states:ListStateMachineVersions",
                "states:ListTagsForResource", "states:UpdateStateMachine", "states:DeleteStateMachine", "logs:CreateLogDelivery", "logs:GetLogDelivery"],
            arn: own,
        },
        "aws:sns/topic:Topic": { actions: ["sns:CreateTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:ListTagsForResource", "sns:DeleteTopic"], arn: own },
        "aws:sns/topicPolicy:TopicPolicy": { actions: ["sns:SetTopicAttributes", "sns:GetTopicAttributes"], arn: resource => resource.inputs.arn },
        "aws:sns/topicSubscription:TopicSubscription": {
            actions: ["sns:Subscribe", "sns:GetSubscriptionAttributes", "sns:Unsubscribe"], arn: resource => `${resource.inputs.topic}:subscription-id`,
        },
        "aws:sqs/queue:Queue": { actions: ["sqs:CreateQueue", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes", "sqs:ListQueueTags", "sqs:DeleteQueue"], arn: own },
        "aws:sqs/queuePolicy:QueuePolicy": { actions: ["sqs:SetQueueAttributes", "sqs:GetQueueAttributes"], arn: resource => queueArn(resource.inputs.queueUrl) },
        "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": { actions: ["sqs:SetQueueAttributes", "sqs:GetQueueAttributes"], arn: resource => queueArn(resource.inputs.queueUrl) },
    };
    it("every AWS resource type of the dev stack has its provider calls listed here, so a new type cannot slip past the policy", () => {
        expect([...new Set(awsResources.map(resource => resource.type))].filter(type => !(type in REQUIRED))).to.deep.equal([]);
    });

    it("the deploy role may make those calls on exactly the resources the dev stack names", () => {
        const denied = awsResources.flatMap(resource => {
            const requirement = REQUIRED[resource.type];
            const arn = requirement.arn(resource);
            const context = requirement.context?.(resource) ?? {};
            return requirement.actions.filter(action => !allows(deployPolicy, action, arn, context)).map(action => `${action} on ${arn}`);
        });
        expect(denied).to.deep.equal([]);
        // Scoped, not open: the same calls on another stack's resources are refused.
        expect(allows(deployPolicy, "dynamodb:DeleteTable", `arn:aws:dynamodb:${region}:${account}:table/sp-prod-orders`)).to.equal(false);
        expect(allows(deployPolicy, "lambda:CreateEventSourceMapping", "*", { "lambda:FunctionArn": `arn:aws:lambda:${region}:${account}:function:other` })).to.equal(false);
    });

    it("the deploy role passes each role only to the service that assumes it", () => {
        const passes: [string, string][] = awsResources.flatMap(resource => {
            if (resource.type === "aws:lambda/function:Function") return [[resource.inputs.role, "lambda.amazonaws.com"]];
            if (resource.type === "aws:sfn/stateMachine:StateMachine") return [[resource.inputs.roleArn, "states.amazonaws.com"]];
            if (resource.type === "aws:apigateway/integration:Integration" && resource.inputs.credentials) return [[resource.inputs.credentials, "apigateway.amazonaws.com"]];
            return [];
        });
        expect(passes.map(([, service]) => service)).to.include.members(["lambda.amazonaws.com", "states.amazonaws.com", "apigateway.amazonaws.com"]);
        for (const [roleArn, service] of passes) {
            expect(allows(deployPolicy, "iam:PassRole", roleArn, { "iam:PassedToService": service }), `${roleArn} to ${service}`).to.equal(true);
            expect(allows(deployPolicy, "iam:PassRole", roleArn, { "iam:PassedToService": "ec2.amazonaws.com" }), `${roleArn} to ec2`).to.equal(false);
        }
    });

    it("the deploy policy names every action (no `*` or `service:*`) and fits an inline role policy (10,240 characters)", () => {
        expect(actionsOf(deployPolicy).filter(action => action === "*" || action.endsWith(":*"))).to.deep.equal([]);
        expect(JSON.stringify(readPolicy("deploy-role.policy.json")).length).to.be.lessThan(10_240);
    });

    it("the preview role only reads the state and validates definitions: refresh-free previews need nothing else", () => {
        const writes = actionsOf(previewPolicy).filter(action => !/^[a-z0-9-]+:(Get|List|Describe)[A-Za-z]*$/.test(action) && action !== "states:ValidateStateMachineDefinition");
        expect(writes).to.deep.equal([]);
        expect(allows(previewPolicy, "s3:GetObject", `arn:aws:s3:::${STATE_BUCKET}/.pulumi/stacks/serverless-pipelines/dev.json`)).to.equal(true);
        expect(allows(previewPolicy, "states:ValidateStateMachineDefinition", "*")).to.equal(true);
        expect(allows(previewPolicy, "s3:PutObject", `arn:aws:s3:::${STATE_BUCKET}/.pulumi/locks/x.json`)).to.equal(false);
    });

    for (const [role, subject] of [["deploy", `environment:${deployWorkflow.jobs.deploy.environment}`], ["preview", "pull_request"]]) {
        it(`the ${role} role trusts only GitHub's OIDC tokens for sts.amazonaws.com whose subject is repo:OWNER/REPO:${subject}`, () => {
            const [statement, ...others] = readPolicy(`${role}-role.trust.json`).Statement;
            expect(others).to.deep.equal([]);
            expect(statement.Principal).to.deep.equal({ Federated: `arn:aws:iam::ACCOUNT_ID:oidc-provider/${OIDC_PROVIDER}` });
            expect(statement.Action).to.equal("sts:AssumeRoleWithWebIdentity");
            expect(statement.Condition).to.deep.equal({
                StringEquals: { [`${OIDC_PROVIDER}:aud`]: "sts.amazonaws.com", [`${OIDC_PROVIDER}:sub`]: `repo:OWNER/REPO:${subject}` },
            });
        });
    }

    it("the README's deploy-role table lists every action of the deploy policy in a row of its service", () => {
        const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
        const rows = readme.split("\n").filter(line => /^\| `[a-z0-9-]+` \| `/.test(line));
        const missing = actionsOf(readPolicy("deploy-role.policy.json")).filter(action => {
            const [service, name] = action.split(":");
            return !rows.some(row => row.startsWith(`| \`${service}\` |`) && row.includes(`\`${name}\``));
        });
        expect(missing).to.deep.equal([]);
    });

    it("the README's sed command fills in every placeholder of the four files and leaves valid JSON", () => {
        const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
        const script = /sed -e '([^']+)'/.exec(readme)![1];
        for (const file of fs.readdirSync(IAM_DIR)) {
            const filled = spawnSync("sed", ["-e", script, path.join(IAM_DIR, file)], { encoding: "utf8" }).stdout;
            expect(filled, file).to.not.match(/ACCOUNT_ID|OWNER|REPO\b|STATE_BUCKET/);
            expect(() => JSON.parse(filled), file).to.not.throw();
        }
    });

    it("both policies hold Allow statements only, the one effect the checks above evaluate", () => {
        expect([...deployPolicy.Statement, ...previewPolicy.Statement].filter(statement => statement.Effect !== "Allow")).to.deep.equal([]);
    });
});
