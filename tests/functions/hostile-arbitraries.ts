import * as fc from "fast-check";

/** What hostile clients and unreliable networks send: shared by the artifact properties and the sandbox end-to-end suites. */

// eslint-disable-next-line no-control-regex -- telling control characters apart is the point
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;

export const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map(code => String.fromCharCode(code));
export const controlCharacter = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f })).map(code => String.fromCharCode(code));

/** Well-formed text of any plane (astral characters, combining marks, RTL, …) without control characters. */
export function singleLineText(minLength: number, maxLength: number): fc.Arbitrary<string> {
    return fc.string({ unit: "binary", minLength, maxLength }).map(text => text.replace(new RegExp(CONTROL.source, "g"), "x"))
        .filter(text => [...text].length >= minLength && [...text].length <= maxLength);
}

/** Text that breaks a text field: a lone surrogate or control character spliced in, or one character too many. */
export function brokenText(maxLength: number): fc.Arbitrary<string> {
    const around = fc.string({ unit: "binary", maxLength: 8 }).map(text => text.replace(new RegExp(CONTROL.source, "g"), "x"));
    return fc.oneof(
        fc.tuple(around, loneSurrogate, around).map(parts => parts.join("")),
        fc.tuple(around, controlCharacter, around).map(parts => parts.join("")),
        fc.constantFrom("", "😀".repeat(maxLength + 1), "x".repeat(maxLength + 1)),
    );
}

/** Numbers at the edges of what JSON, JavaScript and DynamoDB can hold. */
export const extremeNumber = fc.constantFrom(
    2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e21, 1e126, 1e127, 1e300, -1.7976931348623157e308, 1e-130 / 10, 1e-131, 5e-324, -1e-200, 0.1 + 0.2, 1.005, 29.999,
);

/** A JSON text nested `depth` levels deep in objects or arrays. */
export function nestedJson(depth: number, arrays: boolean): string {
    return arrays ? `${"[".repeat(depth)}1${"]".repeat(depth)}` : `${"{\"a\":".repeat(depth)}1${"}".repeat(depth)}`;
}

/** Bodies that are not what any route reads: not JSON, not an object, nested far too deep, or too big. */
export const poisonBody: fc.Arbitrary<string> = fc.oneof(
    fc.string({ unit: "binary", maxLength: 60 }).filter(text => { try { JSON.parse(text); return false; } catch { return true; } }),
    fc.oneof(fc.jsonValue({ maxDepth: 2 }).filter(value => typeof value !== "object" || value === null || Array.isArray(value))).map(value => JSON.stringify(value)),
    fc.tuple(fc.integer({ min: 50, max: 3000 }), fc.boolean()).map(([depth, arrays]) => nestedJson(depth, arrays)),
    fc.constantFrom("", "{", "{\"a\":1}garbage", "\u0000", "{\"__proto__\":{\"x\":1}}", `{"s":"${"x".repeat(17 * 1024)}"}`),
);

/** Content-Type values every POST route must refuse with 415 (RFC 9110 media types that are not JSON, and malformed ones). */
export const refusedContentType = fc.constantFrom(
    "", "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "application/json-patch+json", "application/jsonx",
    "application/json; charset=latin1", "application/json; foo=bar", "multipart/form-data; boundary=x", "application/xml", "json",
);

/** Spellings of the JSON type that API Gateway models and templates list and the handlers accept. */
export const acceptedContentType = fc.constantFrom("application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8");

export interface BoundedJsonRules { maxDepth: number; maxEntries: number; maxStringLength: number; maxBytes: number }

/** A free-form object within the rules: well-formed keys and strings, storable numbers, depth and size bounded. */
export function boundedObject(rules: BoundedJsonRules): fc.Arbitrary<Record<string, unknown>> {
    const leaf = fc.oneof(
        singleLineText(0, Math.min(rules.maxStringLength, 40)), fc.boolean(), fc.constant(null),
        fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), fc.double({ min: -1e9, max: 1e9, noNaN: true }).filter(n => n === 0 || Math.abs(n) >= 1e-130),
    );
    const key = singleLineText(1, 12);
    const level = (depth: number): fc.Arbitrary<unknown> => depth >= rules.maxDepth
        ? leaf
        : fc.oneof({ weight: 3, arbitrary: leaf }, fc.dictionary(key, level(depth + 1), { maxKeys: 4 }), fc.array(level(depth + 1), { maxLength: 4 }));
    return fc.dictionary(key, level(2), { maxKeys: Math.min(rules.maxEntries, 6) })
        .filter(value => Buffer.byteLength(JSON.stringify(value)) <= rules.maxBytes);
}

/** An object that breaks exactly one of the rules. */
export function brokenObject(rules: BoundedJsonRules & { maxKeyLength: number }): fc.Arbitrary<Record<string, unknown>> {
    let tooDeep: unknown = 1;
    for (let level = 0; level <= rules.maxDepth; level++) {
        tooDeep = { n: tooDeep };
    }
    const fullStrings = Math.floor(rules.maxBytes / rules.maxStringLength) + 1;
    return fc.oneof(
        fc.constant(tooDeep as Record<string, unknown>),
        fc.constant(Object.fromEntries(Array.from({ length: rules.maxEntries + 1 }, (_, index) => [`k${index}`, index]))),
        fc.constant(Object.fromEntries(Array.from({ length: fullStrings }, (_, index) => [`k${index}`, "x".repeat(rules.maxStringLength)]))),
        fc.constant({ note: "x".repeat(rules.maxStringLength + 1) }),
        fc.constant({ ["k".repeat(rules.maxKeyLength + 1)]: 1 }),
        fc.constant({ "": 1 }),
        loneSurrogate.map(surrogate => ({ note: `a${surrogate}b` })),
        loneSurrogate.map(surrogate => ({ [`key${surrogate}`]: 1 })),
        extremeNumber.filter(n => Math.abs(n) > 2 ** 53 - 1 || (n !== 0 && Math.abs(n) < 1e-130)).map(n => ({ n })),
    );
}
