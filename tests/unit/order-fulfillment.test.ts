import { expect } from "chai";
import { OrderFulfillment } from "../../components/order-fulfillment";
import { JSON_CONTENT_TYPES } from "../../components/shared/rest-api";
import { RecordedResource } from "../../sandbox/mock-cloud";
import { synthesizeStack } from "../support/program";
import { one, ofType, promiseOf, resourcesUnder, statementsOfRole } from "../support/pulumi";

const ARN = "arn:aws:%s:us-east-1:123456789012:";
const arn = (service: string, resource: string) => ARN.replace("%s", service) + resource;

describe("OrderFulfillment component", () => {
    const platform = { namePrefix: "dofs-dev", local: false };
    let resources: RecordedResource[];
    let outputs: Record<string, string>;

    before(async () => {
        const orders = new OrderFulfillment("of-unit", { platform, alertEmail: "ops@example.com", dlqAlarmThreshold: 7, localEndpoint: "http://localhost:4566" });
        outputs = {
            apiUrl: await promiseOf(orders.apiUrl), ordersTable: await promiseOf(orders.ordersTableName),
            failedOrdersTable: await promiseOf(orders.failedOrdersTableName), queueUrl: await promiseOf(orders.queueUrl),
            dlqUrl: await promiseOf(orders.dlqUrl), stateMachineArn: await promiseOf(orders.stateMachineArn),
            alertsTopicArn: await promiseOf(orders.alertsTopicArn),
        };
        resources = await resourcesUnder("of-unit");
    });

    const fn = (name: string) => one(resources, "aws:lambda/function:Function", r => r.inputs.name === `dofs-dev-${name}`);
    const statements = (name: string) => statementsOfRole(resources, fn(name).inputs.role).map(s => [s.Sid, s.Action, s.Resource]);
    const ordersArn = arn("dynamodb", "table/dofs-dev-orders");
    const logs = (name: string) => ["WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [arn("logs", `log-group:/aws/lambda/dofs-dev-${name}:*`)]];
    const traces = ["WriteTraces", ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], ["*"]];
    const consume = ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"];

    it("exposes the outputs index.ts exports", () => {
        expect(outputs).to.deep.equal({
            apiUrl: outputs.apiUrl,
            ordersTable: "dofs-dev-orders",
            failedOrdersTable: "dofs-dev-failed_orders",
            queueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/dofs-dev-order-queue",
            dlqUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/dofs-dev-order-queue-dlq",
            stateMachineArn: arn("states", "stateMachine:dofs-dev-order-workflow"),
            alertsTopicArn: outputs.alertsTopicArn,
        });
        expect(outputs.apiUrl).to.match(/^http:\/\/localhost:4566\/restapis\/[^/]+\/v1\/_user_request_$/);
        expect(outputs.alertsTopicArn).to.equal(arn("sns", "dofs-dev-order-alerts"));
    });

    it("creates on-demand encrypted tables keyed by order_id with point-in-time recovery", () => {
        for (const name of ["dofs-dev-orders", "dofs-dev-failed_orders"]) {
            const table = one(resources, "aws:dynamodb/table:Table", r => r.inputs.name === name);
            expect(table.inputs).to.deep.include({ billingMode: "PAY_PER_REQUEST", hashKey: "order_id", serverSideEncryption: { enabled: true }, pointInTimeRecovery: { enabled: true } });
        }
    });

    it("moves order messages to the DLQ after 3 receives, with visibility 6× the consumer timeout", () => {
        const queue = one(resources, "aws:sqs/queue:Queue", r => r.inputs.name === "dofs-dev-order-queue");
        expect(JSON.parse(queue.inputs.redrivePolicy)).to.deep.equal({ deadLetterTargetArn: arn("sqs", "dofs-dev-order-queue-dlq"), maxReceiveCount: 3 });
        expect(queue.inputs.visibilityTimeoutSeconds).to.equal(180);
    });

    it("feeds fulfill-order from the queue and dlq-processor from the DLQ with partial batch responses", () => {
        const mappings = ofType(resources, "aws:lambda/eventSourceMapping:EventSourceMapping").map(m => m.inputs);
        expect(mappings.map(m => [m.eventSourceArn, m.functionName, m.batchSize, m.functionResponseTypes])).to.have.deep.members([
            [arn("sqs", "dofs-dev-order-queue"), "dofs-dev-fulfill-order", 10, ["ReportBatchItemFailures"]],
            [arn("sqs", "dofs-dev-order-queue-dlq"), "dofs-dev-order-dlq-processor", 10, ["ReportBatchItemFailures"]],
        ]);
        expect(fn("order-dlq-processor").inputs.timeout).to.be.at.most(30);
    });

    it("grants each function exactly the actions its code calls on the resources it touches", () => {
        expect(statements("validate-order")).to.deep.equal([logs("validate-order"), traces]);
        expect(statements("store-order")).to.deep.equal([logs("store-order"), ["MoveOrderToProcessing", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [ordersArn]], traces]);
        expect(statements("reject-order")).to.deep.equal([logs("reject-order"), ["MoveOrderToRejected", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [ordersArn]], traces]);
        expect(statements("order-api-handler")).to.deep.equal([
            logs("order-api-handler"),
            ["RecordPendingOrder", ["dynamodb:PutItem"], [ordersArn]],
            ["FailUnstartedOrder", ["dynamodb:UpdateItem"], [ordersArn]],
            ["StartOrderWorkflow", ["states:StartExecution"], [arn("states", "stateMachine:dofs-dev-order-workflow")]],
            traces,
        ]);
        expect(statements("get-order")).to.deep.equal([logs("get-order"), ["ReadOrder", ["dynamodb:GetItem"], [ordersArn]], traces]);
        expect(statements("fulfill-order")).to.deep.equal([
            logs("fulfill-order"),
            ["UpdateOrder", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [ordersArn]],
            ["ConsumeOrderQueue", ["sqs:ChangeMessageVisibility", ...consume], [arn("sqs", "dofs-dev-order-queue")]],
            traces,
        ]);
        expect(statements("order-dlq-processor")).to.deep.equal([
            logs("order-dlq-processor"),
            ["MoveOrderToFailed", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [ordersArn]],
            ["RecordFailedOrder", ["dynamodb:PutItem"], [arn("dynamodb", "table/dofs-dev-failed_orders")]],
            ["ConsumeOrderDlq", consume, [arn("sqs", "dofs-dev-order-queue-dlq")]],
            traces,
        ]);
    });

    it("passes fulfilment settings and resource names to the functions", () => {
        expect(fn("fulfill-order").inputs.environment.variables).to.deep.equal({
            ORDERS_TABLE: "dofs-dev-orders", ORDER_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/dofs-dev-order-queue",
            MAX_RECEIVE_COUNT: "3", RETRY_BASE_DELAY_SECONDS: "2", RETRY_MAX_DELAY_SECONDS: "60", SUCCESS_RATE: "0.7",
        });
        expect(fn("order-api-handler").inputs.environment.variables).to.deep.equal({
            ORDERS_TABLE: "dofs-dev-orders", STATE_MACHINE_ARN: arn("states", "stateMachine:dofs-dev-order-workflow"),
        });
        expect(fn("order-dlq-processor").inputs.environment.variables).to.deep.equal({ ORDERS_TABLE: "dofs-dev-orders", FAILED_ORDERS_TABLE: "dofs-dev-failed_orders" });
    });

    it("lets the state machine invoke only its three task functions and send only to the order queue", () => {
        const machine = one(resources, "aws:sfn/stateMachine:StateMachine");
        const own = statementsOfRole(resources, machine.inputs.roleArn).filter(s => s.Sid === "InvokeOrderTasks" || s.Sid === "EnqueueOrders");
        expect(own.map(s => [s.Sid, s.Action, s.Resource])).to.deep.equal([
            ["InvokeOrderTasks", ["lambda:InvokeFunction"], ["validate-order", "store-order", "reject-order"].map(n => arn("lambda", `function:dofs-dev-${n}`))],
            ["EnqueueOrders", ["sqs:SendMessage"], [arn("sqs", "dofs-dev-order-queue")]],
        ]);
        const definition = JSON.parse(machine.inputs.definition);
        expect(definition.States.EnqueueOrder.Resource).to.equal("arn:aws:states:::sqs:sendMessage");
        expect(definition.States.EnqueueOrder.Parameters.QueueUrl).to.equal(outputs.queueUrl);
        expect(definition.States.StoreOrder.Retry[0].ErrorEquals).to.include.members(["Lambda.ServiceException", "Lambda.TooManyRequestsException", "TransientStorageError"]);
    });

    it("routes POST /order (validated against the order model) and GET /order/{orderId} to their functions", () => {
        const methods = ofType(resources, "aws:apigateway/method:Method").filter(m => m.inputs.httpMethod !== "OPTIONS");
        expect(methods.map(m => m.inputs.httpMethod)).to.have.members(["POST", "GET"]);
        const model = one(resources, "aws:apigateway/model:Model");
        const schema = JSON.parse(model.inputs.schema);
        expect(schema).to.deep.include({ additionalProperties: false, required: ["customerId", "productId", "quantity", "price"] });
        const post = methods.find(m => m.inputs.httpMethod === "POST")!;
        expect(post.inputs.requestModels).to.deep.equal(Object.fromEntries(JSON_CONTENT_TYPES.map(contentType => [contentType, model.inputs.name])));
        expect(schema.properties.metadata).to.deep.include({ type: "object", maxProperties: 20 });
        expect(schema.properties.quantity).to.deep.equal({ type: "integer", minimum: -100_000, maximum: 100_000 });
        const get = methods.find(m => m.inputs.httpMethod === "GET")!;
        expect(get.inputs.requestParameters).to.deep.equal({ "method.request.path.orderId": true });
        const permissions = ofType(resources, "aws:lambda/permission:Permission").map(p => [p.inputs.function, p.inputs.sourceArn.replace(/^.*\/\*\//, "")]);
        expect(permissions).to.have.deep.members([["dofs-dev-order-api-handler", "POST/order"], ["dofs-dev-get-order", "GET/order/*"]]);
    });

    it("alarms on DLQ depth above the threshold, every function's errors and failed executions, all to the alerts topic", () => {
        const alarms = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm").map(a => a.inputs);
        const topic = [outputs.alertsTopicArn];
        const dlq = alarms.find(a => a.metricName === "ApproximateNumberOfMessagesVisible" && a.dimensions.QueueName === "dofs-dev-order-queue-dlq")!;
        expect(dlq).to.deep.include({ namespace: "AWS/SQS", threshold: 7, comparisonOperator: "GreaterThanThreshold", dimensions: { QueueName: "dofs-dev-order-queue-dlq" }, alarmActions: topic });
        const errors = alarms.filter(a => a.metricName === "Errors");
        expect(errors.map(a => a.dimensions.FunctionName)).to.have.members(
            ["validate-order", "store-order", "reject-order", "order-api-handler", "get-order", "fulfill-order", "order-dlq-processor"].map(n => `dofs-dev-${n}`));
        expect(errors.every(a => a.threshold === 0 && a.comparisonOperator === "GreaterThanThreshold" && a.alarmActions[0] === topic[0])).to.equal(true);
        const failed = alarms.find(a => a.metricName === "ExecutionsFailed")!;
        expect(failed).to.deep.include({ namespace: "AWS/States", dimensions: { StateMachineArn: outputs.stateMachineArn }, alarmActions: topic });
        expect(alarms).to.have.length(11);
    });

    it("bounds the order DLQ: parked after 5 dlq-processor receives, with alarms on parked and unprocessable messages", () => {
        const dlq = one(resources, "aws:sqs/queue:Queue", q => q.inputs.name === "dofs-dev-order-queue-dlq");
        const parking = one(resources, "aws:sqs/queue:Queue", q => q.inputs.name === "dofs-dev-order-queue-dlq-parking");
        expect(JSON.parse(dlq.inputs.redrivePolicy)).to.deep.equal({ deadLetterTargetArn: parking.state.arn, maxReceiveCount: 5 });
        const alarms = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm").map(a => a.inputs);
        expect(alarms.find(a => a.dimensions?.QueueName === "dofs-dev-order-queue-dlq-parking")).to.deep.include({ threshold: 0, alarmActions: [outputs.alertsTopicArn] });
        const filter = one(resources, "aws:cloudwatch/logMetricFilter:LogMetricFilter");
        expect(filter.inputs).to.deep.include({ logGroupName: "/aws/lambda/dofs-dev-order-dlq-processor", pattern: "\"order-message-unprocessable\"" });
        const unprocessable = alarms.find(a => a.metricName === filter.inputs.metricTransformation.name)!;
        expect(unprocessable).to.deep.include({ namespace: filter.inputs.metricTransformation.namespace, threshold: 0, alarmActions: [outputs.alertsTopicArn] });
    });

    it("encrypts the alerts topic with a rotating key only this account's alarms may use, and subscribes the alert email", () => {
        const key = one(resources, "aws:kms/key:Key");
        expect(key.inputs.enableKeyRotation).to.equal(true);
        const policy = JSON.parse(key.inputs.policy);
        expect(policy.Statement).to.deep.equal([
            { Sid: "AccountAdministersKey", Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*", Resource: "*" },
            {
                Sid: "CloudWatchAlarmsPublish", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: ["kms:Decrypt", "kms:GenerateDataKey*"], Resource: "*",
                Condition: { StringEquals: { "aws:SourceAccount": "123456789012" }, ArnLike: { "aws:SourceArn": arn("cloudwatch", "alarm:*") } },
            },
        ]);
        const topic = one(resources, "aws:sns/topic:Topic");
        expect(topic.inputs.kmsMasterKeyId).to.equal(key.state.arn).and.not.equal("alias/aws/sns");
        expect(one(resources, "aws:sns/topicSubscription:TopicSubscription").inputs).to.deep.include({ protocol: "email", endpoint: "ops@example.com", topic: outputs.alertsTopicArn });
    });

    it("replaces the alerts topic's default policy: only the eleven order alarms publish, over TLS only", () => {
        const alarmArns = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm").map(alarm => alarm.state.arn);
        const policy = one(resources, "aws:sns/topicPolicy:TopicPolicy");
        expect(policy.inputs.arn).to.equal(outputs.alertsTopicArn);
        const [publish, deny] = JSON.parse(policy.inputs.policy).Statement;
        expect(publish.Condition.ArnLike["aws:SourceArn"]).to.have.members(alarmArns).and.have.length(11);
        expect(publish).to.deep.equal({
            Sid: "AlarmsPublish", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: "sns:Publish", Resource: outputs.alertsTopicArn,
            Condition: { ArnLike: { "aws:SourceArn": publish.Condition.ArnLike["aws:SourceArn"] }, StringEquals: { "aws:SourceAccount": "123456789012" } },
        });
        expect(deny).to.deep.equal({
            Sid: "DenyPublishWithoutTls", Effect: "Deny", Principal: "*", Action: "sns:Publish", Resource: outputs.alertsTopicArn,
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        });
    });

    it("has a dashboard with API errors, executions, queue and DLQ depth and fulfilment errors", () => {
        const body = JSON.parse(one(resources, "aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody);
        const metrics = body.widgets.flatMap((w: { properties: { metrics: unknown[][] } }) => w.properties.metrics.map(m => `${m[0]} ${m[1]} ${m[3]}`));
        expect(metrics).to.include.members([
            "AWS/States ExecutionsStarted " + outputs.stateMachineArn, "AWS/States ExecutionsFailed " + outputs.stateMachineArn,
            "AWS/SQS ApproximateNumberOfMessagesVisible dofs-dev-order-queue", "AWS/SQS ApproximateNumberOfMessagesVisible dofs-dev-order-queue-dlq",
            "AWS/Lambda Errors dofs-dev-fulfill-order",
        ]);
        expect(metrics.filter((m: string) => /AWS\/ApiGateway (4|5)XXError/.test(m))).to.have.length(2);
    });

    it("leaves point-in-time recovery off and skips the email subscription on a local stack without an address", async () => {
        const local = new OrderFulfillment("of-local", { platform: { namePrefix: "sp-local", local: true } });
        await promiseOf(local.alertsTopicArn);
        const localResources = await resourcesUnder("of-local");
        expect(ofType(localResources, "aws:dynamodb/table:Table").map(t => t.inputs.pointInTimeRecovery)).to.deep.equal([{ enabled: false }, { enabled: false }]);
        expect(ofType(localResources, "aws:sns/topicSubscription:TopicSubscription")).to.have.length(0);
    });
});

describe("OrderFulfillment in the whole program (index.ts under mocks)", () => {
    const ORDER_OUTPUTS = ["orderApiUrl", "ordersTable", "failedOrdersTable", "orderQueueUrl", "orderDlqUrl", "orderStateMachineArn", "orderAlertsTopicArn"];
    const named = (resources: RecordedResource[], type: string, name: string) => one(resources, type, r => r.inputs.name === name);

    it("local stack: exports every order output with path-style API URL and uses the config defaults", () => {
        const { outputs, resources } = synthesizeStack("local");
        expect(outputs).to.include.keys(ORDER_OUTPUTS);
        expect(outputs.ordersTable).to.equal("sp-local-orders");
        expect(outputs.failedOrdersTable).to.equal("sp-local-failed_orders");
        expect(outputs.orderApiUrl).to.match(/^http:\/\/localhost:4566\/restapis\/.+\/_user_request_$/);
        const fulfil = named(resources, "aws:lambda/function:Function", "sp-local-fulfill-order");
        expect(fulfil.inputs.environment.variables.SUCCESS_RATE).to.equal("0.7");
        const dlqAlarm = named(resources, "aws:cloudwatch/metricAlarm:MetricAlarm", "sp-local-order-dlq-depth");
        expect(dlqAlarm.inputs.threshold).to.equal(5);
        expect(ofType(resources, "aws:sns/topicSubscription:TopicSubscription").filter(r => r.inputs.topic === outputs.orderAlertsTopicArn)).to.have.length(0);
    });

    it("dev stack with overrides: success rate, alarm threshold and alert email reach the resources", () => {
        const { outputs, resources } = synthesizeStack("dev", { fulfillmentSuccessRate: "0.5", dlqAlarmThreshold: 9, alertEmail: "ops@example.com" });
        expect(outputs).to.include.keys(ORDER_OUTPUTS);
        expect(outputs.orderApiUrl).to.match(/^https:\/\//);
        expect(named(resources, "aws:lambda/function:Function", "sp-dev-fulfill-order").inputs.environment.variables.SUCCESS_RATE).to.equal("0.5");
        expect(named(resources, "aws:cloudwatch/metricAlarm:MetricAlarm", "sp-dev-order-dlq-depth").inputs.threshold).to.equal(9);
        const email = ofType(resources, "aws:sns/topicSubscription:TopicSubscription").filter(r => r.inputs.topic === outputs.orderAlertsTopicArn);
        expect(email.map(r => [r.inputs.protocol, r.inputs.endpoint])).to.deep.equal([["email", "ops@example.com"]]);
        expect(named(resources, "aws:dynamodb/table:Table", "sp-dev-orders").inputs.pointInTimeRecovery).to.deep.equal({ enabled: true });
    });
});
