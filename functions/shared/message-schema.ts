import { define, object, optional, Struct, validate } from "superstruct";

/**
 * One definition per message, two views of it: `json`, the draft-4 JSON Schema API Gateway validates with, and
 * `struct`, the superstruct check the handler runs. JSON Schema cannot say everything (lone surrogates, UTF-8
 * bytes, decimal scale, key names, total size), so `struct` checks the same rules and those as well.
 */
export interface Field<T> {
    json: Record<string, unknown>;
    struct: Struct<T, any>;
}

/** DynamoDB keeps 38 digits from 1e-130 to 1e126; lib-dynamodb refuses JS numbers beyond 2^53 - 1 (imprecise). */
export const MAX_STORABLE_NUMBER = Number.MAX_SAFE_INTEGER;
export const MIN_STORABLE_MAGNITUDE = 1e-130;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001F\u007F-\u009F]/;
/** The same rule for API Gateway's validators (Java, Python jsonschema, ajv all read `\uXXXX`). */
const SINGLE_LINE_JSON_PATTERN = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";

/** The problem with a string, or undefined: lone UTF-16 surrogates cannot be stored as UTF-8 (DynamoDB, SNS, S3 refuse them). */
export function stringProblem(value: string, maxLength: number): string | undefined {
    if (LONE_SURROGATE.test(value)) {
        return "holds a lone UTF-16 surrogate (not valid Unicode)";
    }
    // JSON Schema counts code points, so this does too.
    const length = [...value].length;
    return length > maxLength ? `is ${length} characters long, at most ${maxLength} allowed` : undefined;
}

/** The problem with a number, or undefined: finite, at most 2^53 - 1 in magnitude, zero or at least 1e-130. */
export function numberProblem(value: number): string | undefined {
    if (!Number.isFinite(value) || Math.abs(value) > MAX_STORABLE_NUMBER) {
        return `${value} is outside ±${MAX_STORABLE_NUMBER}`;
    }
    return value !== 0 && Math.abs(value) < MIN_STORABLE_MAGNITUDE ? `${value} is closer to 0 than ${MIN_STORABLE_MAGNITUDE} (DynamoDB cannot store it)` : undefined;
}

export interface TextRules {
    min?: number;
    max: number;
    /** A regular expression the whole value must match (also sent to API Gateway). */
    pattern?: RegExp;
    /** Refuse control characters (C0, DEL, C1): ids, types, names. Default: false. */
    singleLine?: boolean;
    /** Most UTF-8 bytes, for stores that count bytes (S3 keys). Default: no byte limit. */
    maxUtf8Bytes?: number;
}

export function text(rules: TextRules): Field<string> {
    const min = rules.min ?? 1;
    const pattern = rules.pattern?.source ?? (rules.singleLine ? SINGLE_LINE_JSON_PATTERN : undefined);
    return {
        json: { type: "string", minLength: min, maxLength: rules.max, ...(pattern ? { pattern } : {}) },
        struct: define<string>("text", value => {
            if (typeof value !== "string") {
                return `Expected a string, but received: ${shown(value)}`;
            }
            const problem = stringProblem(value, rules.max);
            if (problem) {
                return `Expected valid text, but it ${problem}`;
            }
            if ([...value].length < min) {
                return `Expected at least ${min} character${min === 1 ? "" : "s"}, but received ${JSON.stringify(value)}`;
            }
            if (rules.singleLine && CONTROL_CHARACTER.test(value)) {
                return "Expected text without control characters (newlines, tabs, NUL, …)";
            }
            if (rules.pattern && !rules.pattern.test(value)) {
                return `Expected text matching ${rules.pattern.source}, but received ${JSON.stringify(value)}`;
            }
            const bytes = Buffer.byteLength(value, "utf8");
            return rules.maxUtf8Bytes !== undefined && bytes > rules.maxUtf8Bytes ? `Expected at most ${rules.maxUtf8Bytes} UTF-8 bytes, but it has ${bytes}` : true;
        }),
    };
}

export function integer(rules: { min: number; max: number }): Field<number> {
    return {
        json: { type: "integer", minimum: rules.min, maximum: rules.max },
        struct: define<number>("integer", value => typeof value === "number" && Number.isInteger(value) && value >= rules.min && value <= rules.max
            || `Expected a whole number from ${rules.min} to ${rules.max}, but received: ${shown(value)}`),
    };
}

/**
 * A number with a fixed scale (money). The scale stays out of the JSON Schema: `multipleOf: 0.01` divides in
 * binary floating point in ajv and Python's jsonschema (LocalStack), where 29.99 / 0.01 is not a whole number.
 */
export function decimal(rules: { min: number; max: number; scale: number }): Field<number> {
    return {
        json: { type: "number", minimum: rules.min, maximum: rules.max },
        struct: define<number>("decimal", value => typeof value === "number" && Number.isFinite(value) && value >= rules.min && value <= rules.max
            && Number(value.toFixed(rules.scale)) === value
            || `Expected a number from ${rules.min} to ${rules.max} with at most ${rules.scale} decimals, but received: ${shown(value)}`),
    };
}

export interface JsonObjectRules {
    /** Objects and arrays nested inside the value, the value itself counting as 1. */
    maxDepth: number;
    /** Most keys of any object, and most items of any array. */
    maxEntries: number;
    maxKeyLength: number;
    maxStringLength: number;
    /** Most bytes of the value as JSON (UTF-8). */
    maxBytes: number;
}

/** Every problem of a free-form JSON object under `rules`, each naming where it is (`a.b[2]`). */
export function jsonObjectProblems(value: unknown, rules: JsonObjectRules): string[] {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return [`Expected an object, but received: ${shown(value)}`];
    }
    const problems: string[] = [];
    const visit = (node: unknown, where: string, depth: number): void => {
        if (problems.length >= 10) {
            return;
        }
        if (typeof node === "string") {
            const problem = stringProblem(node, rules.maxStringLength);
            if (problem) {
                problems.push(`${where} ${problem}`);
            }
        } else if (typeof node === "number") {
            const problem = numberProblem(node);
            if (problem) {
                problems.push(`${where}: ${problem}`);
            }
        } else if (typeof node === "object" && node !== null) {
            const entries: [string, unknown][] = Array.isArray(node) ? node.map((item, index) => [`[${index}]`, item]) : Object.entries(node);
            if (depth > rules.maxDepth) {
                problems.push(`${where}: nests deeper than ${rules.maxDepth} levels`);
                return;
            }
            if (entries.length > rules.maxEntries) {
                problems.push(`${where}: has ${entries.length} ${Array.isArray(node) ? "items" : "keys"}, at most ${rules.maxEntries} allowed`);
            }
            for (const [key, item] of entries) {
                if (!Array.isArray(node)) {
                    const problem = key === "" ? "is empty" : stringProblem(key, rules.maxKeyLength);
                    if (problem) {
                        problems.push(`${where}: a key ${problem}`);
                        continue;
                    }
                }
                visit(item, Array.isArray(node) ? `${where}${key}` : `${where}.${key}`, depth + 1);
            }
        }
    };
    visit(value, "", 1);
    const bytes = Buffer.byteLength(JSON.stringify(value), "utf8");
    if (bytes > rules.maxBytes) {
        problems.push(`is ${bytes} bytes as JSON, at most ${rules.maxBytes} allowed`);
    }
    return problems.map(problem => problem.replace(/^[.:]\s?/, ""));
}

/** The JSON Schema of a value at `level` under `rules`: the draft-4 keywords of each type apply only to that type, so one schema per level suffices. */
function jsonValueSchema(rules: JsonObjectRules, level: number): Record<string, unknown> {
    const scalar = { minimum: -MAX_STORABLE_NUMBER, maximum: MAX_STORABLE_NUMBER, maxLength: rules.maxStringLength };
    if (level > rules.maxDepth) {
        return { type: ["string", "number", "boolean", "null"], ...scalar };
    }
    const next = jsonValueSchema(rules, level + 1);
    return {
        type: ["string", "number", "boolean", "null", "object", "array"], ...scalar,
        maxProperties: rules.maxEntries, additionalProperties: next, maxItems: rules.maxEntries, items: next,
    };
}

/** A free-form JSON object (metadata, payloads) bounded in depth, entries, key and string length, numbers and size. */
export function jsonObject(rules: JsonObjectRules): Field<Record<string, unknown>> {
    const next = jsonValueSchema(rules, 2);
    return {
        json: { type: "object", maxProperties: rules.maxEntries, additionalProperties: next },
        struct: define<Record<string, unknown>>("jsonObject", value => {
            const problems = jsonObjectProblems(value, rules);
            return problems.length === 0 || problems.join("; ");
        }),
    };
}

/** An array of distinct items, each checked by `item`. */
export function uniqueList<T>(item: Field<T>, rules: { min: number; max: number }): Field<T[]> {
    return {
        json: { type: "array", minItems: rules.min, maxItems: rules.max, uniqueItems: true, items: item.json },
        struct: define<T[]>("uniqueList", value => {
            if (!Array.isArray(value) || value.length < rules.min || value.length > rules.max) {
                return `Expected a list of ${rules.min} to ${rules.max} items, but received ${Array.isArray(value) ? `one of length ${value.length}` : shown(value)}`;
            }
            for (const [index, entry] of value.entries()) {
                const [error] = validate(entry, item.struct);
                if (error) {
                    return `[${index}]: ${error.message}`;
                }
            }
            const repeated = [...new Set(value.filter((entry, index) => value.indexOf(entry) !== index))];
            return repeated.length === 0 || `Expected distinct items, but ${repeated.map(entry => typeof entry === "string" ? entry : shown(entry)).join(", ")} repeated`;
        }),
    };
}

/** An object with exactly these fields (others refused); `required` lists the ones that must be present. */
export function message<F extends Record<string, Field<any>>>(title: string, fields: F, required: (keyof F & string)[]): Field<{ [K in keyof F]: F[K] extends Field<infer T> ? T : never }> {
    const structs = Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, required.includes(name) ? field.struct : optional(field.struct)]));
    return {
        json: {
            $schema: "http://json-schema.org/draft-04/schema#",
            title,
            type: "object",
            required,
            additionalProperties: false,
            properties: Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, field.json])),
        },
        struct: object(structs) as unknown as Struct<any, any>,
    };
}

/** A value as a problem shows it; never throws. */
function shown(value: unknown): string {
    if (typeof value === "string") {
        return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
    }
    if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) {
        return String(value);
    }
    return Array.isArray(value) ? "an array" : `a value of type ${typeof value}`;
}
