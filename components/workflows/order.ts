/** Seeds 002/003's order state machine (ASL), built from the ARNs its component passes in. */

/** Lambda task errors Step Functions documents as transient, plus the handlers' own TransientStorageError. */
const RETRYABLE_TASK_ERRORS = [
    "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException", "TransientStorageError",
];
const TASK_RETRY = [{ ErrorEquals: RETRYABLE_TASK_ERRORS, IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 }];

/** The task function ARNs and the order queue URL the order workflow uses. */
export interface OrderWorkflowInputs { validate: string; store: string; reject: string; queueUrl: string }

/** The order state machine (ASL): validate → store → enqueue, or validate → reject. */
export function orderWorkflowDefinition(arns: OrderWorkflowInputs): string {
    const invoke = (functionName: string, payload: Record<string, string>) => ({
        Type: "Task",
        Resource: "arn:aws:states:::lambda:invoke",
        Parameters: { FunctionName: functionName, Payload: payload },
        Retry: TASK_RETRY,
    });
    return JSON.stringify({
        Comment: "Order fulfillment: validate, then store and enqueue, or record the rejection",
        StartAt: "ValidateOrder",
        States: {
            ValidateOrder: {
                ...invoke(arns.validate, { "orderId.$": "$.orderId", "customerId.$": "$.customerId", "productId.$": "$.productId", "quantity.$": "$.quantity", "price.$": "$.price" }),
                ResultSelector: { "valid.$": "$.Payload.valid", "reasons.$": "$.Payload.reasons", "totalAmount.$": "$.Payload.totalAmount" },
                ResultPath: "$.validation",
                Next: "IsOrderValid",
            },
            // A broken business rule is an outcome, not an error: it takes the REJECTED path without retries.
            IsOrderValid: {
                Type: "Choice",
                Choices: [{ Variable: "$.validation.valid", BooleanEquals: true, Next: "StoreOrder" }],
                Default: "RejectOrder",
            },
            StoreOrder: {
                ...invoke(arns.store, { "orderId.$": "$.orderId", "totalAmount.$": "$.validation.totalAmount" }),
                ResultSelector: { "status.$": "$.Payload.status", "alreadyRecorded.$": "$.Payload.alreadyRecorded" },
                ResultPath: "$.stored",
                Next: "EnqueueOrder",
            },
            EnqueueOrder: {
                Type: "Task",
                Resource: "arn:aws:states:::sqs:sendMessage",
                Parameters: {
                    QueueUrl: arns.queueUrl,
                    MessageBody: {
                        "orderId.$": "$.orderId", "customerId.$": "$.customerId", "productId.$": "$.productId",
                        "quantity.$": "$.quantity", "price.$": "$.price", "totalAmount.$": "$.validation.totalAmount",
                    },
                },
                Retry: [{ ErrorEquals: ["SQS.SdkClientException", "SQS.AmazonSQSException"], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 }],
                ResultSelector: { "messageId.$": "$.MessageId" },
                ResultPath: "$.enqueued",
                Next: "OrderQueued",
            },
            OrderQueued: {
                Type: "Pass",
                Parameters: { "orderId.$": "$.orderId", status: "PROCESSING", "totalAmount.$": "$.validation.totalAmount", "messageId.$": "$.enqueued.messageId" },
                End: true,
            },
            RejectOrder: {
                ...invoke(arns.reject, { "orderId.$": "$.orderId", "reasons.$": "$.validation.reasons" }),
                ResultPath: null,
                Next: "OrderRejected",
            },
            OrderRejected: {
                Type: "Pass",
                Parameters: { "orderId.$": "$.orderId", status: "REJECTED", "reasons.$": "$.validation.reasons" },
                End: true,
            },
        },
    });
}
