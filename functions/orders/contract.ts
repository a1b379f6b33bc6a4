import { pattern, string, type } from "superstruct";
import { decimal, Field, integer, jsonObject, message, text } from "../shared/message-schema";
import { integerSetting, optional, parsed, required, startsWorkflowSettings } from "../shared/settings";
import { MAX_ID_LENGTH, ORDER_ID_PATTERN, successRateFrom } from "./order-rules";

/**
 * The orders system's contract: the environment of each of its functions and the messages they exchange. The only
 * place that names these environment variables; components build environments with `environment`, handlers read
 * them with `loadSettings`.
 */

/** Largest quantity and price (in either sign) an order may carry: their product in cents stays an exact integer. */
export const MAX_QUANTITY = 100_000;
export const MAX_PRICE = 1_000_000;

/**
 * `POST /order`: what the store can hold and the workflow can compute (types, bounds, 2-decimal prices, bounded
 * metadata). Formats and business rules (CUST-/PROD- ids, positive quantity and price) are ValidateOrder's, so a
 * request that breaks them is accepted and ends as a stored REJECTED order with its reasons.
 * Built by a function, not a module constant: handler factories are serialized and must create their structs.
 */
export function orderRequestMessage() {
    return message("OrderRequest", {
        customerId: text({ max: MAX_ID_LENGTH, singleLine: true }),
        productId: text({ max: MAX_ID_LENGTH, singleLine: true }),
        quantity: integer({ min: -MAX_QUANTITY, max: MAX_QUANTITY }),
        price: decimal({ min: -MAX_PRICE, max: MAX_PRICE, scale: 2 }),
        metadata: jsonObject({ maxDepth: 3, maxEntries: 20, maxKeyLength: 64, maxStringLength: 256, maxBytes: 2048 }),
    }, ["customerId", "productId", "quantity", "price"]);
}

export type OrderRequestMessage = ReturnType<typeof orderRequestMessage> extends Field<infer T> ? T : never;

/** What EnqueueOrder sends to the order queue, as its consumers read it: only the orderId matters to them. */
export function orderQueueMessage() {
    return type({ orderId: pattern(string(), ORDER_ID_PATTERN) });
}

/** Settings of store-order, reject-order and get-order. Built by functions for the same reason as the messages. */
export function orderTableSettings() {
    return { ordersTable: required("ORDERS_TABLE") };
}

/** Settings of `POST /order`. */
export function orderApiSettings() {
    return { ...orderTableSettings(), ...startsWorkflowSettings() };
}

/** Largest visibility timeout SQS accepts, in seconds (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html). */
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 43200;

/**
 * Settings of fulfill-order: an unparsable or out-of-range success rate falls back to the default. A failed
 * message's visibility is set to the retry delay on the order queue, so it depends on the queue's maxReceiveCount.
 */
export function fulfilOrderSettings() {
    return {
        ...orderTableSettings(),
        orderQueueUrl: required("ORDER_QUEUE_URL"),
        maxReceiveCount: integerSetting("MAX_RECEIVE_COUNT", 1, 1000),
        retryBaseDelaySeconds: integerSetting("RETRY_BASE_DELAY_SECONDS", 0, MAX_VISIBILITY_TIMEOUT_SECONDS),
        retryMaxDelaySeconds: integerSetting("RETRY_MAX_DELAY_SECONDS", 0, MAX_VISIBILITY_TIMEOUT_SECONDS),
        successRate: parsed("SUCCESS_RATE", successRateFrom),
        /** Seeds the random source so a run can be replayed; unseeded when absent. */
        fulfillmentSeed: optional("FULFILLMENT_SEED"),
    };
}

/** Settings of the order DLQ processor. */
export function orderDlqSettings() {
    return { ...orderTableSettings(), failedOrdersTable: required("FAILED_ORDERS_TABLE") };
}
