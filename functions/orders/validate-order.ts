import { validateOrderRules, ValidationResult } from "./order-rules";

/** ValidateOrder task: business rules of an order whose shape the API already checked; never throws for bad data. */
export function validateOrderHandler(): (event: unknown) => Promise<ValidationResult> {
    return async event => validateOrderRules(event !== null && typeof event === "object" ? event as Record<string, unknown> : {});
}
