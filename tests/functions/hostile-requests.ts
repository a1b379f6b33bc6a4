import * as fc from "fast-check";
import { PAYLOAD_RULES } from "../../functions/events/event-format";
import { MAX_PRICE, MAX_QUANTITY } from "../../functions/orders/contract";
import {
    acceptedContentType, boundedObject, brokenObject, brokenText, extremeNumber, poisonBody, refusedContentType, singleLineText,
} from "./hostile-arbitraries";

/** One generated request with the answer it must get: 202 stored/started exactly as sent (`value`), or a 4xx. */
export interface HostileRequest {
    kind: string;
    /** undefined: no Content-Type header at all. */
    contentType: string | undefined;
    body: string;
    expected: number;
    value?: Record<string, unknown>;
}

const METADATA_RULES = { maxDepth: 3, maxEntries: 20, maxKeyLength: 64, maxStringLength: 256, maxBytes: 2048 };

/** Replaces, adds or removes one field of a valid request. */
function withOneField(valid: fc.Arbitrary<Record<string, unknown>>, breakers: Record<string, fc.Arbitrary<unknown>>, required: string[]): fc.Arbitrary<Record<string, unknown>> {
    const replaced = Object.entries(breakers).map(([field, value]) => fc.tuple(valid, value).map(([request, broken]) => ({ ...request, [field]: broken })));
    return fc.oneof(
        ...replaced,
        fc.tuple(valid, fc.constantFrom("extra", "__proto__", "constructor", "toString"), fc.jsonValue({ maxDepth: 1 }))
            .map(([request, name, value]) => JSON.parse(JSON.stringify(request).replace(/^\{/, `{${JSON.stringify(name)}:${JSON.stringify(value)},`))),
        fc.tuple(valid, fc.constantFrom(...required)).map(([request, name]) => Object.fromEntries(Object.entries(request).filter(([key]) => key !== name))),
    );
}

/**
 * The request classes every POST route gets: valid (any accepted Content-Type), one field broken (400), poison
 * bodies (400), a refused Content-Type on a valid body (415), and a valid body padded past 16 KiB with whitespace
 * (`paddedStatus`: 413 from a handler, 202 where API Gateway queues it directly).
 */
function routeRequests(valid: fc.Arbitrary<Record<string, unknown>>, broken: fc.Arbitrary<Record<string, unknown>>, paddedStatus: number): fc.Arbitrary<HostileRequest> {
    return fc.oneof(
        { weight: 4, arbitrary: fc.tuple(valid, acceptedContentType).map(([value, contentType]) => ({ kind: "valid", contentType, body: JSON.stringify(value), expected: 202, value })) },
        { weight: 4, arbitrary: broken.map(value => ({ kind: "one field broken", contentType: "application/json", body: JSON.stringify(value), expected: 400 })) },
        { weight: 2, arbitrary: poisonBody.map(body => ({ kind: "poison body", contentType: "application/json", body, expected: 400 })) },
        { weight: 1, arbitrary: fc.tuple(valid, refusedContentType).map(([value, contentType]) => ({ kind: "refused Content-Type", contentType, body: JSON.stringify(value), expected: 415 })) },
        {
            weight: 1, arbitrary: valid.map(value => ({
                kind: "padded past 16 KiB", contentType: "application/json", body: JSON.stringify(value).replace(/^\{/, `{${" ".repeat(17 * 1024)}`),
                expected: paddedStatus, ...(paddedStatus === 202 ? { value } : {}),
            })),
        },
    );
}

/** Ids of the business format (so some orders pass ValidateOrder) or any single-line text (ValidateOrder rejects those). */
const id = (prefix: string) => fc.oneof(singleLineText(1, 64), fc.integer({ min: 0, max: 9999 }).map(n => `${prefix}-${String(n).padStart(4, "0")}`));
const wrongType = fc.oneof(fc.integer(), fc.constant(null), fc.boolean(), fc.constant([]), fc.constant({}));

export function orderRequests(): fc.Arbitrary<HostileRequest> {
    const valid = fc.record({
        customerId: id("CUST"),
        productId: id("PROD"),
        quantity: fc.integer({ min: -MAX_QUANTITY, max: MAX_QUANTITY }),
        price: fc.integer({ min: -MAX_PRICE * 100, max: MAX_PRICE * 100 }).map(cents => cents / 100),
        metadata: boundedObject(METADATA_RULES),
    }, { requiredKeys: ["customerId", "productId", "quantity", "price"] });
    const badNumber = (field: "quantity" | "price") => fc.oneof(
        extremeNumber, fc.constantFrom(field === "quantity" ? 0.5 : 1.001, field === "quantity" ? MAX_QUANTITY + 1 : MAX_PRICE + 0.01, "2", "1e3"), wrongType);
    const broken = withOneField(valid, {
        customerId: fc.oneof(brokenText(64), wrongType), productId: fc.oneof(brokenText(64), wrongType),
        quantity: badNumber("quantity"), price: badNumber("price"),
        metadata: fc.oneof(brokenObject(METADATA_RULES), fc.constantFrom([1], "text", 5, null)),
    }, ["customerId", "productId", "quantity", "price"]);
    return routeRequests(valid, broken, 413);
}

export function eventRequests(): fc.Arbitrary<HostileRequest> {
    const valid = fc.record({
        type: singleLineText(1, 128), subject: singleLineText(1, 512), payload: boundedObject(PAYLOAD_RULES),
    }, { requiredKeys: ["type"] });
    const broken = withOneField(valid, {
        type: fc.oneof(brokenText(128), wrongType), subject: fc.oneof(brokenText(512), wrongType),
        payload: fc.oneof(brokenObject(PAYLOAD_RULES), fc.constantFrom([1], "text", 5, null)),
    }, ["type"]);
    return routeRequests(valid, broken, 413);
}

export function buildRequests(): fc.Arbitrary<HostileRequest> {
    const valid = fc.record({ commit: fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/) });
    const broken = withOneField(valid, { commit: fc.oneof(brokenText(64), fc.constantFrom("a b", "../etc", "x/y", "ü"), wrongType) }, ["commit"]);
    // API Gateway takes bodies up to 10 MB and queues what the model validated, so a padded valid body is accepted.
    return routeRequests(valid, broken, 202);
}

export function fileCopyRequests(sourceBucket: string, destinations: string[]): fc.Arbitrary<HostileRequest> {
    const key = singleLineText(1, 200).filter(candidate => Buffer.byteLength(candidate) <= 1024);
    const valid = fc.record({
        sourceBucket: fc.constant(sourceBucket), sourceKey: key, destinationBuckets: fc.subarray(destinations, { minLength: 1 }),
    });
    const broken = withOneField(valid, {
        sourceBucket: fc.oneof(fc.constantFrom("not-a-known-bucket", "UPPER", "a"), brokenText(63), wrongType),
        sourceKey: fc.oneof(brokenText(1024), fc.constant("😀".repeat(257)), wrongType),
        destinationBuckets: fc.oneof(
            fc.constantFrom([], [destinations[0], destinations[0]], Array(11).fill(destinations[0]), ["not-a-known-bucket"], [sourceBucket], "x"),
            brokenText(63).map(name => [name]),
        ),
    }, ["sourceBucket", "sourceKey", "destinationBuckets"]);
    return routeRequests(valid, broken, 413);
}
