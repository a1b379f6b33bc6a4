import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { apiHandler } from "../functions/orders/api-handler";
import { dlqProcessorHandler } from "../functions/orders/dlq-processor";
import { fulfillOrderHandler } from "../functions/orders/fulfill-order";
import { getOrderHandler } from "../functions/orders/get-order";
import { fulfilOrderSettings, orderApiSettings, orderDlqSettings, orderRequestMessage, orderTableSettings } from "../functions/orders/contract";
import { DEFAULT_RETRY_BASE_DELAY_SECONDS, DEFAULT_RETRY_MAX_DELAY_SECONDS, DEFAULT_SUCCESS_RATE } from "../functions/orders/order-rules";
import { environment } from "../functions/shared/settings";
import { rejectOrderHandler, storeOrderHandler } from "../functions/orders/store-order";
import { validateOrderHandler } from "../functions/orders/validate-order";
import { logTermAlarm, thresholdAlarm } from "./shared/alarms";
import { LambdaFunction } from "./shared/lambda-function";
import { physicalName, PlatformOptions } from "./shared/platform";
import { QueueConsumer } from "./shared/queue-consumer";
import { RestApi } from "./shared/rest-api";
import { StateMachine } from "./shared/state-machine";
import { secureTable } from "./shared/table";
import { EncryptedTopic } from "./shared/encrypted-topic";
import { orderWorkflowDefinition } from "./workflows/order";

/** fulfil-order's timeout; the order queue's visibility timeout follows from it. */
const FULFIL_TIMEOUT_SECONDS = 30;

export interface OrderFulfillmentArgs {
    platform: PlatformOptions;
    /** Probability that one fulfilment attempt succeeds. @default 0.7 */
    successRate?: number;
    /** Seed of fulfil-order's random source, for repeatable runs. @default none (Math.random) */
    fulfillmentSeed?: number;
    /** Receives of an order message before it moves to the DLQ. @default 3 */
    maxReceiveCount?: number;
    /**
     * Seconds a failed order waits before its next attempt, doubled per receive (2 s, 4 s, ...): fulfil-order sets it
     * with ChangeMessageVisibility, so a retry does not wait for the queue's visibility timeout (180 s). @default 2
     */
    retryBaseDelaySeconds?: number;
    /** Longest retry delay, in seconds (at most 43200, SQS's limit). @default 60 */
    retryMaxDelaySeconds?: number;
    /** Receives of an order DLQ message (dlq-processor attempts) before it is parked in `order-queue-dlq-parking`. @default 5 */
    dlqMaxReceiveCount?: number;
    /** The DLQ alarm fires when more than this many messages are visible. @default 5 */
    dlqAlarmThreshold?: number;
    /** Email subscribed to the alerts topic. @default none */
    alertEmail?: string;
    /** LocalStack-style endpoint for a path-style API URL (see RestApi). @default the stage invoke URL */
    localEndpoint?: string;
    /** Messages fulfil-order takes per invocation. @default 10 */
    fulfillmentBatchSize?: number;
}

/**
 * Seeds 002/003: `POST /order` → api-handler → order state machine (ValidateOrder → StoreOrder →
 * SQS, or RejectOrder) → order queue → fulfil-order → (after maxReceiveCount) DLQ → dlq-processor →
 * failed_orders; `GET /order/{orderId}`; alarms to an encrypted SNS alerts topic and a dashboard.
 */
export class OrderFulfillment extends pulumi.ComponentResource {
    public readonly ordersTable: aws.dynamodb.Table;
    public readonly failedOrdersTable: aws.dynamodb.Table;
    public readonly queue: QueueConsumer;
    public readonly stateMachine: StateMachine;
    public readonly api: RestApi;
    public readonly alertsTopic: aws.sns.Topic;
    public readonly dashboard: aws.cloudwatch.Dashboard;
    /** Base URL: POST `${apiUrl}/order`, GET `${apiUrl}/order/{orderId}`. */
    public readonly apiUrl: pulumi.Output<string>;
    public readonly ordersTableName: pulumi.Output<string>;
    public readonly failedOrdersTableName: pulumi.Output<string>;
    public readonly queueUrl: pulumi.Output<string>;
    public readonly dlqUrl: pulumi.Output<string>;
    public readonly stateMachineArn: pulumi.Output<string>;
    public readonly alertsTopicArn: pulumi.Output<string>;

    constructor(name: string, args: OrderFulfillmentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("serverless-pipelines:orders:OrderFulfillment", name, {}, opts);
        const { platform } = args;

        this.ordersTable = secureTable(`${name}-orders`, { platform, tableName: "orders", hashKey: "order_id" }, { parent: this });
        this.failedOrdersTable = secureTable(`${name}-failed-orders`, { platform, tableName: "failed_orders", hashKey: "order_id" }, { parent: this });
        this.queue = new QueueConsumer(`${name}-queue`, {
            platform, queueName: "order-queue", consumerTimeoutSeconds: FULFIL_TIMEOUT_SECONDS, maxReceiveCount: args.maxReceiveCount ?? 3,
            dlqMaxReceiveCount: args.dlqMaxReceiveCount ?? 5,
        }, { parent: this });
        const workflow = this.createWorkflow(name, platform);
        this.stateMachine = workflow.stateMachine;
        const front = this.createApi(name, args);
        this.api = front.api;
        const consumers = this.createConsumers(name, args);
        const alerts = this.createAlertsTopic(name, platform, args.alertEmail);
        this.alertsTopic = alerts.topic;
        this.createAlarms(name, platform, alerts, args.dlqAlarmThreshold ?? 5, { ...workflow.tasks, ...front.functions, ...consumers });
        this.dashboard = this.createDashboard(name, platform, consumers.fulfil);

        this.apiUrl = this.api.url;
        this.ordersTableName = this.ordersTable.name;
        this.failedOrdersTableName = this.failedOrdersTable.name;
        this.queueUrl = this.queue.url;
        this.dlqUrl = this.queue.dlqUrl;
        this.stateMachineArn = this.stateMachine.arn;
        this.alertsTopicArn = this.alertsTopic.arn;
        this.registerOutputs({
            apiUrl: this.apiUrl, ordersTableName: this.ordersTableName, failedOrdersTableName: this.failedOrdersTableName,
            queueUrl: this.queueUrl, dlqUrl: this.dlqUrl, stateMachineArn: this.stateMachineArn, alertsTopicArn: this.alertsTopicArn,
        });
    }

    /** The order state machine and its three Lambda tasks (ValidateOrder, StoreOrder, RejectOrder). */
    private createWorkflow(name: string, platform: PlatformOptions): { stateMachine: StateMachine; tasks: Record<string, LambdaFunction> } {
        const child = { parent: this };
        const ordersArn = this.ordersTable.arn;
        const validate = new LambdaFunction(`${name}-validate-order`, {
            platform, functionName: "validate-order", description: "ValidateOrder: business rules and total",
            handlerFactory: validateOrderHandler,
        }, child);
        const store = new LambdaFunction(`${name}-store-order`, {
            platform, functionName: "store-order", description: "StoreOrder: PENDING → PROCESSING (conditional)",
            handlerFactory: storeOrderHandler,
            environment: environment(orderTableSettings(), { ordersTable: this.ordersTable.name }),
            statements: [{ sid: "MoveOrderToProcessing", actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"], resources: [ordersArn] }],
        }, child);
        const reject = new LambdaFunction(`${name}-reject-order`, {
            platform, functionName: "reject-order", description: "RejectOrder: PENDING → REJECTED with reasons (conditional)",
            handlerFactory: rejectOrderHandler,
            environment: environment(orderTableSettings(), { ordersTable: this.ordersTable.name }),
            statements: [{ sid: "MoveOrderToRejected", actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"], resources: [ordersArn] }],
        }, child);
        const stateMachine = new StateMachine(`${name}-workflow`, {
            platform,
            stateMachineName: "order-workflow",
            definition: pulumi.all([validate.arn, store.arn, reject.arn, this.queue.url])
                .apply(([validateArn, storeArn, rejectArn, queueUrl]) =>
                    orderWorkflowDefinition({ validate: validateArn, store: storeArn, reject: rejectArn, queueUrl })),
            statements: [
                { sid: "InvokeOrderTasks", actions: ["lambda:InvokeFunction"], resources: [validate.arn, store.arn, reject.arn] },
                { sid: "EnqueueOrders", actions: ["sqs:SendMessage"], resources: [this.queue.arn] },
            ],
        }, child);
        return { stateMachine, tasks: { validate, store, reject } };
    }

    /** `POST /order` (api-handler) and `GET /order/{orderId}` (get-order) behind one REST API. */
    private createApi(name: string, args: OrderFulfillmentArgs): { api: RestApi; functions: Record<string, LambdaFunction> } {
        const child = { parent: this };
        const { platform } = args;
        const ordersArn = this.ordersTable.arn;
        const api = new LambdaFunction(`${name}-api-handler`, {
            platform, functionName: "order-api-handler", description: "POST /order: shape check, PENDING record, start the workflow",
            handlerFactory: apiHandler,
            environment: environment(orderApiSettings(), { ordersTable: this.ordersTable.name, stateMachineArn: this.stateMachine.arn }),
            statements: [
                { sid: "RecordPendingOrder", actions: ["dynamodb:PutItem"], resources: [ordersArn] },
                { sid: "FailUnstartedOrder", actions: ["dynamodb:UpdateItem"], resources: [ordersArn] },
                { sid: "StartOrderWorkflow", actions: ["states:StartExecution"], resources: [this.stateMachine.arn] },
            ],
            runtimePackages: ["superstruct"],
        }, child);
        const getOrder = new LambdaFunction(`${name}-get-order`, {
            platform, functionName: "get-order", description: "GET /order/{orderId}",
            handlerFactory: getOrderHandler,
            environment: environment(orderTableSettings(), { ordersTable: this.ordersTable.name }),
            statements: [{ sid: "ReadOrder", actions: ["dynamodb:GetItem"], resources: [ordersArn] }],
        }, child);
        const restApi = new RestApi(`${name}-api`, {
            platform,
            apiName: "order-api",
            description: "Order fulfillment API",
            localEndpoint: args.localEndpoint,
            routes: [
                { kind: "lambda", method: "POST", path: "order", function: api, requestSchema: orderRequestMessage().json },
                { kind: "lambda", method: "GET", path: "order/{orderId}", function: getOrder },
            ],
        }, child);
        return { api: restApi, functions: { api, getOrder } };
    }

    /** fulfil-order on the order queue and dlq-processor on its DLQ, each with partial batch responses. */
    private createConsumers(name: string, args: OrderFulfillmentArgs): { fulfil: LambdaFunction; dlqProcessor: LambdaFunction } {
        const child = { parent: this };
        const { platform } = args;
        const ordersArn = this.ordersTable.arn;
        const fulfil = new LambdaFunction(`${name}-fulfill-order`, {
            platform, functionName: "fulfill-order", description: "Simulated fulfilment: PROCESSING → FULFILLED, or retry via SQS",
            handlerFactory: fulfillOrderHandler,
            environment: environment(fulfilOrderSettings(), {
                ordersTable: this.ordersTable.name,
                orderQueueUrl: this.queue.url,
                maxReceiveCount: String(this.queue.maxReceiveCount),
                retryBaseDelaySeconds: String(args.retryBaseDelaySeconds ?? DEFAULT_RETRY_BASE_DELAY_SECONDS),
                retryMaxDelaySeconds: String(args.retryMaxDelaySeconds ?? DEFAULT_RETRY_MAX_DELAY_SECONDS),
                successRate: String(args.successRate ?? DEFAULT_SUCCESS_RATE),
                fulfillmentSeed: args.fulfillmentSeed !== undefined ? String(args.fulfillmentSeed) : undefined,
            }),
            statements: [
                { sid: "UpdateOrder", actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"], resources: [ordersArn] },
                ...this.queue.consumerStatements({ sid: "ConsumeOrderQueue", changesVisibility: true }),
            ],
            runtimePackages: ["@aws-lambda-powertools/batch", "superstruct"],
            timeoutSeconds: FULFIL_TIMEOUT_SECONDS,
        }, child);
        const dlqProcessor = new LambdaFunction(`${name}-dlq-processor`, {
            platform, functionName: "order-dlq-processor", description: "Order DLQ: failed_orders record, order FAILED",
            handlerFactory: dlqProcessorHandler,
            environment: environment(orderDlqSettings(), { ordersTable: this.ordersTable.name, failedOrdersTable: this.failedOrdersTable.name }),
            statements: [
                { sid: "MoveOrderToFailed", actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"], resources: [ordersArn] },
                { sid: "RecordFailedOrder", actions: ["dynamodb:PutItem"], resources: [this.failedOrdersTable.arn] },
                ...this.queue.consumerStatements({ sid: "ConsumeOrderDlq", from: "dlq" }),
            ],
            runtimePackages: ["@aws-lambda-powertools/batch", "superstruct"],
            // The DLQ keeps SQS's default 30 s visibility, which must not be below the function timeout.
            timeoutSeconds: 20,
        }, child);
        this.queue.subscribe(`${name}-fulfill-order-source`, fulfil, { batchSize: args.fulfillmentBatchSize });
        this.queue.subscribe(`${name}-dlq-processor-source`, dlqProcessor, { from: "dlq" });
        return { fulfil, dlqProcessor };
    }

    /** CloudWatch cannot use the AWS-managed SNS key, so the topic gets its own key that CloudWatch may use. */
    private createAlertsTopic(name: string, platform: PlatformOptions, alertEmail: string | undefined): EncryptedTopic {
        const alerts = new EncryptedTopic(`${name}-alerts`, { platform, topicName: "order-alerts", alarmsPublish: true }, { parent: this });
        if (alertEmail) {
            alerts.subscribeEmail(`${name}-alerts-email`, alertEmail);
        }
        return alerts;
    }

    /** Every order alarm, told to the alerts topic, whose policy lets exactly these alarms publish. */
    private createAlarms(name: string, platform: PlatformOptions, alerts: EncryptedTopic, dlqThreshold: number, functions: Record<string, LambdaFunction>): void {
        const alarms = [
            ...this.createMetricAlarms(name, platform, dlqThreshold, Object.entries(functions)),
            ...this.createPoisonAlarms(name, platform, functions.dlqProcessor),
        ];
        alerts.allowPublishers([{
            sid: "AlarmsPublish",
            principal: { Service: "cloudwatch.amazonaws.com" },
            condition: {
                ArnLike: { "aws:SourceArn": alarms.map(alarm => alarm.arn) },
                StringEquals: { "aws:SourceAccount": aws.getCallerIdentityOutput({}, { parent: this }).accountId },
            },
        }]);
    }

    private createMetricAlarms(name: string, platform: PlatformOptions, dlqThreshold: number, functions: [string, LambdaFunction][]): aws.cloudwatch.MetricAlarm[] {
        const alertsTopicArn = this.alertsTopic.arn;
        const dlqDepth = this.queue.dlqDepthAlarm(`${name}-dlq-depth-alarm`, {
            alertsTopicArn,
            notifyOnRecovery: true,
            name: physicalName(platform, "order-dlq-depth"),
            alarmDescription: `More than ${dlqThreshold} orders are waiting in the order DLQ`,
            threshold: dlqThreshold,
        });
        const functionErrors = functions.map(([key, fn]) =>
            thresholdAlarm(`${name}-${key}-errors-alarm`, {
                alertsTopicArn,
                alarmDescription: pulumi.interpolate`${fn.name} reported errors`,
                namespace: "AWS/Lambda",
                metricName: "Errors",
                dimensions: { FunctionName: fn.name },
                statistic: "Sum",
                period: 300,
                threshold: 0,
            }, { parent: this }));
        const executionsFailed = thresholdAlarm(`${name}-executions-failed-alarm`, {
            alertsTopicArn,
            name: physicalName(platform, "order-workflow-failed"),
            alarmDescription: "Order workflow executions failed",
            namespace: "AWS/States",
            metricName: "ExecutionsFailed",
            dimensions: { StateMachineArn: this.stateMachine.arn },
            statistic: "Sum",
            period: 300,
            threshold: 0,
        }, { parent: this });
        return [dlqDepth, ...functionErrors, executionsFailed];
    }

    /** The order DLQ's own failure counters: messages parked after dlq-processor's attempts, and unprocessable messages it recorded. */
    private createPoisonAlarms(name: string, platform: PlatformOptions, dlqProcessor: LambdaFunction): aws.cloudwatch.MetricAlarm[] {
        const alertsTopicArn = this.alertsTopic.arn;
        const parked = thresholdAlarm(`${name}-dlq-parking-alarm`, {
            alertsTopicArn,
            name: physicalName(platform, "order-dlq-parking-depth"),
            alarmDescription: "Order DLQ messages that order-dlq-processor could not record after all its attempts (see its log, event message-failed)",
            namespace: "AWS/SQS",
            metricName: "ApproximateNumberOfMessagesVisible",
            dimensions: { QueueName: this.queue.parkingQueue!.name },
            statistic: "Maximum",
            period: 60,
            threshold: 0,
        }, { parent: this });
        const unprocessable = logTermAlarm(`${name}-unprocessable-alarm`, {
            alertsTopicArn,
            logGroupName: dlqProcessor.logGroup.name,
            term: "order-message-unprocessable",
            metricName: physicalName(platform, "order-dlq-unprocessable"),
            alarmDescription: "order-dlq-processor recorded DLQ messages that name no order (failed_orders rows with reason unprocessable)",
        }, { parent: this });
        return [parked, unprocessable];
    }

    private createDashboard(name: string, platform: PlatformOptions, fulfil: LambdaFunction): aws.cloudwatch.Dashboard {
        const region = aws.getRegionOutput({}, { parent: this }).region;
        const body = pulumi
            .all([region, this.api.api.name, this.api.stage.stageName, this.stateMachine.arn, this.queue.name, this.queue.dlqName, fulfil.name])
            .apply(([awsRegion, apiName, stage, stateMachineArn, queueName, dlqName, fulfilName]) => {
                const widget = (title: string, metrics: unknown[][], x: number, y: number) => ({
                    type: "metric", x, y, width: 12, height: 6,
                    properties: { title, region: awsRegion, stat: "Sum", period: 300, view: "timeSeries", metrics },
                });
                return JSON.stringify({
                    widgets: [
                        widget("API errors", [
                            ["AWS/ApiGateway", "4XXError", "ApiName", apiName, "Stage", stage],
                            ["AWS/ApiGateway", "5XXError", "ApiName", apiName, "Stage", stage],
                        ], 0, 0),
                        widget("Order workflow executions", [
                            ["AWS/States", "ExecutionsStarted", "StateMachineArn", stateMachineArn],
                            ["AWS/States", "ExecutionsFailed", "StateMachineArn", stateMachineArn],
                        ], 12, 0),
                        widget("Queue depth (order queue, DLQ)", [
                            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queueName, { stat: "Maximum" }],
                            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", dlqName, { stat: "Maximum" }],
                        ], 0, 6),
                        widget("Fulfilment", [
                            ["AWS/Lambda", "Invocations", "FunctionName", fulfilName],
                            ["AWS/Lambda", "Errors", "FunctionName", fulfilName],
                        ], 12, 6),
                    ],
                });
            });
        return new aws.cloudwatch.Dashboard(`${name}-dashboard`, {
            dashboardName: physicalName(platform, "order-fulfillment"),
            dashboardBody: body,
        }, { parent: this });
    }
}
