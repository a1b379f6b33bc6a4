/** Plain constants and functions shared by the order handlers (no library objects: handlers are serialized). */

export type OrderStatus = "PENDING" | "PROCESSING" | "FULFILLED" | "FAILED" | "REJECTED";

/** One entry of an order's `statusHistory`. */
export interface StatusChange {
    status: OrderStatus;
    at: string;
    detail?: string;
}

/** What `POST /order` accepts (order-messages.ts holds its rules); ValidateOrder checks the business rules. */
export interface OrderRequest {
    customerId: string;
    productId: string;
    quantity: number;
    price: number;
    /** Free-form, bounded (depth, keys, size); stored with the order as sent. */
    metadata?: Record<string, unknown>;
}

export interface ValidationResult {
    valid: boolean;
    reasons: string[];
    /** Price × quantity to the cent; null when the order is invalid. */
    totalAmount: number | null;
}

export const CUSTOMER_ID_PATTERN = /^CUST-\d{4}$/;
export const PRODUCT_ID_PATTERN = /^PROD-\d{4}$/;
export const ORDER_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const MAX_ID_LENGTH = 64;
export const CARRIERS = ["STANDARD_SHIPPING", "EXPRESS_SHIPPING", "OVERNIGHT_SHIPPING"];
export const DEFAULT_SUCCESS_RATE = 0.7;
/** First retry delay of a failed fulfilment attempt, doubled per receive up to the cap (README: Order flow). */
export const DEFAULT_RETRY_BASE_DELAY_SECONDS = 2;
export const DEFAULT_RETRY_MAX_DELAY_SECONDS = 60;

/** A value as a rejection reason shows it; never throws, whatever the input. */
function shown(value: unknown): string {
    if (typeof value === "string") {
        return JSON.stringify(value);
    }
    if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) {
        return String(value);
    }
    return `a value of type ${Array.isArray(value) ? "array" : typeof value}`;
}

/** ValidateOrder's business rules; every broken rule becomes one reason, and the total is computed in whole cents. */
export function validateOrderRules(order: Record<string, unknown>): ValidationResult {
    const reasons: string[] = [];
    const { customerId, productId, quantity, price } = order;
    if (typeof customerId !== "string" || !CUSTOMER_ID_PATTERN.test(customerId)) {
        reasons.push(`customerId: must look like CUST-1234, got ${shown(customerId)}`);
    }
    if (typeof productId !== "string" || !PRODUCT_ID_PATTERN.test(productId)) {
        reasons.push(`productId: must look like PROD-1234, got ${shown(productId)}`);
    }
    const quantityOk = typeof quantity === "number" && Number.isInteger(quantity) && quantity > 0;
    if (!quantityOk) {
        reasons.push(`quantity: must be a whole number greater than 0, got ${shown(quantity)}`);
    }
    const priceCents = typeof price === "number" && Number.isFinite(price) ? Math.round(price * 100) : NaN;
    const priceOk = typeof price === "number" && price > 0 && Number.isSafeInteger(priceCents) && Math.abs(price * 100 - priceCents) < 1e-6;
    if (!priceOk) {
        reasons.push(`price: must be greater than 0 with at most 2 decimals, got ${shown(price)}`);
    }
    if (quantityOk && priceOk) {
        const totalCents = priceCents * (quantity as number);
        if (!Number.isSafeInteger(totalCents)) {
            reasons.push("totalAmount: price × quantity is too large to compute to the cent");
        } else if (reasons.length === 0) {
            return { valid: true, reasons: [], totalAmount: totalCents / 100 };
        }
    }
    return { valid: false, reasons, totalAmount: null };
}

/** Deterministic PRNG (mulberry32): uniform numbers in [0, 1) from a 32-bit seed. */
export function mulberry32(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** The fulfilment simulation's decision: succeeds with probability `successRate`. */
export function fulfilmentSucceeds(random: () => number, successRate: number): boolean {
    return random() < successRate;
}

/** The random source fulfil-order uses: seeded when the contract's fulfillmentSeed is set, so runs can be replayed. */
export function randomSource(seed: string | undefined): () => number {
    return seed !== undefined && seed !== "" && Number.isFinite(Number(seed)) ? mulberry32(Number(seed)) : Math.random;
}

/** The fulfilment success rate setting as a probability; anything unparsable or out of [0, 1] falls back to the default. */
export function successRateFrom(value: string | undefined): number {
    const rate = Number(value);
    return value !== undefined && value !== "" && rate >= 0 && rate <= 1 ? rate : DEFAULT_SUCCESS_RATE;
}

/** Shipping details of a fulfilled order. */
export function shipment(random: () => number, now: Date): { trackingNumber: string; carrier: string; estimatedDelivery: string } {
    const letters = Array.from({ length: 5 }, () => "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"[Math.floor(random() * 32)]).join("");
    const days = 2 + Math.floor(random() * 4);
    return {
        trackingNumber: `TRK${now.getTime()}${letters}`,
        carrier: CARRIERS[Math.floor(random() * CARRIERS.length)],
        estimatedDelivery: new Date(now.getTime() + days * 24 * 60 * 60 * 1000).toISOString(),
    };
}

/**
 * The DynamoDB update that moves an order from one status to the next, only if it is still in `from`,
 * and appends the change to its history; `set` adds more attributes (names are used as-is).
 */
export function statusTransition(orderId: string, from: OrderStatus, to: OrderStatus, at: string, set: Record<string, unknown> = {}, detail?: string) {
    const extra = Object.keys(set);
    const change: StatusChange = detail ? { status: to, at, detail } : { status: to, at };
    return {
        Key: { order_id: orderId },
        UpdateExpression: `SET #status = :to, updatedAt = :at, statusHistory = list_append(if_not_exists(statusHistory, :empty), :change)${extra.map(name => `, #${name} = :${name}`).join("")}`,
        ConditionExpression: "#status = :from",
        ExpressionAttributeNames: { "#status": "status", ...Object.fromEntries(extra.map(name => [`#${name}`, name])) },
        ExpressionAttributeValues: {
            ":to": to, ":from": from, ":at": at, ":empty": [], ":change": [change],
            ...Object.fromEntries(extra.map(name => [`:${name}`, set[name]])),
        },
    };
}

/** True for the error DynamoDB returns when a ConditionExpression does not hold. */
export function isConditionFailure(error: unknown): boolean {
    return (error as { name?: string })?.name === "ConditionalCheckFailedException";
}

/** DynamoDB and Lambda errors worth retrying; the state machine retries errors named TransientStorageError. */
export function isTransient(error: unknown): boolean {
    const name = (error as { name?: string })?.name ?? "";
    return ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "InternalServerError", "ServiceUnavailable"].includes(name);
}

/** Renames a transient error so a Step Functions Retry can match it by name. */
export function asTaskError(error: unknown): unknown {
    if (isTransient(error)) {
        const wrapped = new Error(`${(error as Error).name}: ${(error as Error).message}`);
        wrapped.name = "TransientStorageError";
        return wrapped;
    }
    return error;
}

/** How a failed order message waits before its next receive: `base × 2^(receive − 1)` seconds, at most `max`. */
export interface RetryBackoff {
    baseDelaySeconds: number;
    maxDelaySeconds: number;
    maxReceiveCount: number;
}

/** Seconds a message that failed on its `receiveCount`-th receive stays invisible before SQS hands it out again. */
export function retryDelaySeconds(receiveCount: number, backoff: RetryBackoff): number {
    // SQS moves a message to the DLQ on the first receive after its count reached maxReceiveCount, so the last failure waits for nobody.
    if (receiveCount >= backoff.maxReceiveCount) {
        return 0;
    }
    return Math.min(backoff.baseDelaySeconds * 2 ** (Math.max(1, receiveCount) - 1), backoff.maxDelaySeconds);
}
