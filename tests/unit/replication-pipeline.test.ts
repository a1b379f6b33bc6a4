import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { ReplicationPipeline } from "../../components/replication-pipeline";
import { JSON_CONTENT_TYPES } from "../../components/shared/rest-api";
import { buildRequestMessage } from "../../functions/replication/contract";
import { RecordedResource } from "../../sandbox/mock-cloud";
import { one, ofType, promiseOf, resourcesUnder, statementsOfRole } from "../support/pulumi";

const BUCKET = "aws:s3/bucket:Bucket";
const FUNCTION = "aws:lambda/function:Function";
const PERMISSION = "aws:lambda/permission:Permission";
const NOTIFICATION = "aws:s3/bucketNotification:BucketNotification";
const QUEUE = "aws:sqs/queue:Queue";
const ACCOUNT = "123456789012";

describe("ReplicationPipeline (mocks)", () => {
    let pipeline: ReplicationPipeline;
    let resources: RecordedResource[];
    /** Logical names of each bucket notification's explicit dependencies, captured as Pulumi registers it. */
    const notificationDependencies = new Map<string, string[]>();

    const fn = (functionName: string) => one(resources, FUNCTION, resource => resource.inputs.name === `rpu-${functionName}`);
    const bucketArn = (bucketName: string) => `arn:aws:s3:::${bucketName}`;
    const statementsOf = (functionName: string) =>
        statementsOfRole(resources, fn(functionName).inputs.role).map(statement => [statement.Sid, statement.Action, statement.Resource]);

    before(async () => {
        const recordDependencies: pulumi.ResourceTransformation = args => {
            if (args.type === NOTIFICATION) {
                const dependsOn = ([] as pulumi.Input<pulumi.Resource>[]).concat((args.opts.dependsOn ?? []) as pulumi.Input<pulumi.Resource>[]);
                notificationDependencies.set(args.name, dependsOn.map(resource => (resource as any).__name as string));
            }
            return undefined;
        };
        pipeline = new ReplicationPipeline("rp-unit", {
            platform: { namePrefix: "rpu", local: false },
            hostsPerRegion: 250,
            syncConcurrency: 4,
            maxConcurrency: 5,
            localEndpoint: "http://localhost:4566",
        }, { transformations: [recordDependencies] });
        await promiseOf(pulumi.all([pipeline.buildsApiUrl, pipeline.regionalBucketNames, pipeline.stepFunctionApiUrl]));
        resources = await resourcesUnder("rp-unit");
    });

    it("creates global-builds and one <region>-builds bucket per default region", () => {
        const names = ofType(resources, BUCKET).map(bucket => bucket.inputs.bucket);
        expect(names).to.have.members(["rpu-global-builds", "rpu-region-a-builds", "rpu-region-b-builds"]);
    });

    it("exposes outputs: region → bucket, table, queue and DLQ URLs, the workflow's ARN and API", async () => {
        expect(await promiseOf(pipeline.regionalBucketNames)).to.deep.equal({ "region-a": "rpu-region-a-builds", "region-b": "rpu-region-b-builds" });
        expect(await promiseOf(pipeline.globalBucketName)).to.equal("rpu-global-builds");
        expect(await promiseOf(pipeline.hostDeploymentTableName)).to.equal("rpu-host-deployment-logs");
        expect(await promiseOf(pipeline.buildQueueUrl)).to.equal(`https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/rpu-build-requests`);
        expect(await promiseOf(pipeline.buildDlqUrl)).to.equal(`https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/rpu-build-requests-dlq`);
        expect(await promiseOf(pipeline.stateMachineArn)).to.equal(await promiseOf(pipeline.fileCopy.stateMachineArn));
        expect(await promiseOf(pipeline.buildsApiUrl)).to.match(/^http:\/\/localhost:4566\/restapis\/[^/]+\/v1\/_user_request_$/);
        expect(await promiseOf(pipeline.stepFunctionApiUrl)).to.equal(await promiseOf(pipeline.fileCopy.apiUrl));
    });

    it("creates host-deployment-logs keyed by build_id and host_id, encrypted, with PITR outside local", () => {
        const table = one(resources, "aws:dynamodb/table:Table", resource => resource.inputs.name === "rpu-host-deployment-logs");
        expect(table.inputs).to.deep.include({
            hashKey: "build_id", rangeKey: "host_id", billingMode: "PAY_PER_REQUEST",
            attributes: [{ name: "build_id", type: "S" }, { name: "host_id", type: "S" }],
            serverSideEncryption: { enabled: true }, pointInTimeRecovery: { enabled: true },
        });
    });

    it("queues build requests with a DLQ after 3 receives and visibility 6× the build-worker timeout", () => {
        const queue = one(resources, QUEUE, resource => resource.inputs.name === "rpu-build-requests");
        const dlq = one(resources, QUEUE, resource => resource.inputs.name === "rpu-build-requests-dlq");
        expect(queue.inputs.visibilityTimeoutSeconds).to.be.at.least(6 * fn("build-worker").inputs.timeout);
        expect(JSON.parse(queue.inputs.redrivePolicy)).to.deep.equal({ deadLetterTargetArn: dlq.state.arn, maxReceiveCount: 3 });
        expect(queue.inputs.sqsManagedSseEnabled).to.equal(true);
    });

    it("feeds build-worker from the queue in batches with partial batch failure reporting", () => {
        const mapping = one(resources, "aws:lambda/eventSourceMapping:EventSourceMapping");
        expect(mapping.inputs).to.deep.include({
            eventSourceArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:rpu-build-requests`,
            functionName: "rpu-build-worker",
            batchSize: 10,
            functionResponseTypes: ["ReportBatchItemFailures"],
        });
    });

    it("gives each function the settings its handler reads", () => {
        expect(fn("build-worker").inputs.environment.variables).to.deep.equal({ BUILDS_BUCKET: "rpu-global-builds" });
        expect(fn("replication-worker").inputs.environment.variables).to.deep.equal({
            STATE_MACHINE_ARN: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:rpu-file-copy-workflow`,
            DESTINATION_BUCKETS: JSON.stringify(["rpu-region-a-builds", "rpu-region-b-builds"]),
        });
        expect(fn("regional-sync").inputs.environment.variables).to.deep.equal({
            HOST_DEPLOYMENT_TABLE: "rpu-host-deployment-logs",
            REGION_BY_BUCKET: JSON.stringify({ "rpu-region-a-builds": "region-a", "rpu-region-b-builds": "region-b" }),
            HOSTS_PER_REGION: "250",
            SYNC_CONCURRENCY: "4",
        });
    });

    it("lets build-worker only consume its queue and put build-* objects in global-builds", () => {
        expect(statementsOf("build-worker")).to.deep.equal([
            ["WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [`arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/rpu-build-worker:*`]],
            ["ConsumeBuildRequests", ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"], [`arn:aws:sqs:us-east-1:${ACCOUNT}:rpu-build-requests`]],
            ["UploadArtifacts", ["s3:PutObject"], [`${bucketArn("rpu-global-builds")}/build-*`]],
            ["WriteTraces", ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], ["*"]],
        ]);
    });

    it("lets replication-worker only start the file copy state machine", () => {
        expect(statementsOf("replication-worker")).to.deep.equal([
            ["WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [`arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/rpu-replication-worker:*`]],
            ["StartFileCopy", ["states:StartExecution"], [`arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:rpu-file-copy-workflow`]],
            ["WriteTraces", ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], ["*"]],
        ]);
    });

    it("lets regional-sync only batch-write host-deployment-logs", () => {
        expect(statementsOf("regional-sync")).to.deep.equal([
            ["WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [`arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/rpu-regional-sync:*`]],
            ["WriteHostRecords", ["dynamodb:BatchWriteItem"], [`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/rpu-host-deployment-logs`]],
            ["WriteTraces", ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], ["*"]],
        ]);
    });

    const wiring: [string, string][] = [
        ["rpu-global-builds", "replication-worker"],
        ["rpu-region-a-builds", "regional-sync"],
        ["rpu-region-b-builds", "regional-sync"],
    ];
    for (const [bucketName, functionName] of wiring) {
        it(`notifies ${functionName} of every object created in ${bucketName}, through one notification that waits for its permission`, () => {
            const notification = one(resources, NOTIFICATION, resource => resource.inputs.bucket === bucketName);
            const target = fn(functionName);
            expect(notification.inputs.lambdaFunctions).to.deep.equal([{ lambdaFunctionArn: target.state.arn, events: ["s3:ObjectCreated:*"] }]);
            expect(notification.inputs.queues ?? []).to.have.length(0);
            expect(notification.inputs.topics ?? []).to.have.length(0);

            const permission = one(resources, PERMISSION, resource => resource.inputs.sourceArn === bucketArn(bucketName));
            expect(permission.inputs).to.deep.equal({
                action: "lambda:InvokeFunction", function: target.inputs.name, principal: "s3.amazonaws.com",
                sourceArn: bucketArn(bucketName), sourceAccount: ACCOUNT,
            });
            expect(notificationDependencies.get(notification.name)).to.include(permission.name);
        });
    }

    it("routes POST /builds straight to the queue, validating the body against the commit schema", () => {
        const method = one(resources, "aws:apigateway/method:Method", resource => resource.name === "rp-unit-api-post-builds");
        const model = one(resources, "aws:apigateway/model:Model", resource => resource.name === "rp-unit-api-post-builds-model");
        const integration = one(resources, "aws:apigateway/integration:Integration", resource => resource.name === "rp-unit-api-post-builds");
        const builds = one(resources, "aws:apigateway/resource:Resource", resource => resource.name === "rp-unit-api-builds");
        expect(builds.inputs.pathPart).to.equal("builds");
        const everyJsonType = <T>(value: T) => Object.fromEntries(JSON_CONTENT_TYPES.map(contentType => [contentType, value]));
        expect(method.inputs).to.deep.include({ httpMethod: "POST", requestModels: everyJsonType(model.inputs.name) });
        expect(method.inputs.requestValidatorId).to.be.a("string");
        expect(JSON.parse(model.inputs.schema)).to.deep.equal(buildRequestMessage().json);
        expect(integration.inputs).to.deep.include({
            type: "AWS",
            integrationHttpMethod: "POST",
            uri: `arn:aws:apigateway:us-east-1:sqs:path/${ACCOUNT}/rpu-build-requests`,
            requestTemplates: everyJsonType("Action=SendMessage&MessageBody=$util.urlEncode($input.json('$'))"),
            passthroughBehavior: "NEVER",
        });
        const unsupported = one(resources, "aws:apigateway/response:Response", resource => resource.name === "rp-unit-api-unsupported-media-type");
        expect(JSON.parse(unsupported.inputs.responseTemplates["application/json"]).message).to.contain("Content-Type: application/json");
        const apiRole = one(resources, "aws:iam/role:Role", resource => resource.state.arn === integration.inputs.credentials);
        expect(statementsOfRole(resources, apiRole.state.arn)).to.deep.equal([
            { Sid: "SendToQueue", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [`arn:aws:sqs:us-east-1:${ACCOUNT}:rpu-build-requests`] },
        ]);
    });

    it("passes the source and regional buckets and the copy concurrency to the FileCopyWorkflow child", () => {
        const definition = JSON.parse(one(resources, "aws:sfn/stateMachine:StateMachine").inputs.definition);
        expect(JSON.stringify(definition)).to.include("\"MaxConcurrency\":5");
        const copyRole = fn("copy-object").inputs.role;
        const copyResources = statementsOfRole(resources, copyRole).flatMap(statement => statement.Resource);
        expect(copyResources.join(" ")).to.include("rpu-global-builds").and.include("rpu-region-a-builds").and.include("rpu-region-b-builds");
    });

    it("accepts only a commit of 1-64 safe characters and nothing else", () => {
        const schema = buildRequestMessage().json;
        const pattern = new RegExp((schema.properties as any).commit.pattern);
        expect(["abc123", "v1.2.3", "feature_x-1"].every(commit => pattern.test(commit))).to.equal(true);
        expect(["", "a b", "../etc", "x".repeat(65), "abc\ud800"].some(commit => pattern.test(commit))).to.equal(false);
        expect(schema).to.deep.include({ required: ["commit"], additionalProperties: false });
    });

    it("alarms when build requests reach their DLQ", () => {
        const alarm = one(resources, "aws:cloudwatch/metricAlarm:MetricAlarm", resource => resource.inputs.dimensions?.QueueName === "rpu-build-requests-dlq");
        expect(alarm.inputs).to.deep.include({ metricName: "ApproximateNumberOfMessagesVisible", threshold: 0, comparisonOperator: "GreaterThanThreshold" });
    });
});
