/**
 * LocalStack 4.14's Step Functions JSONPath, as `extract_json` (localstack-core/localstack/services/stepfunctions/
 * asl/utils/json_path.py at v4.14.0) answers it on top of jsonpath-ng 1.7.0's `jsonpath_ng.ext` parser: payload
 * templates, ResultSelector, ItemsPath, InputPath/OutputPath, intrinsic arguments and Choice Variables all use it.
 * jsonpath-ng-parser.ts reads the syntax state machines use and rejects the rest.
 */

import { Condition, isDefinite, ParsedPath, parseJsonPath, Step } from "./jsonpath-ng-parser";

/** LocalStack raises this (→ States.Runtime) when a path that is not a plain wildcard or slice matches nothing. */
export class NoSuchJsonPathError extends Error {
    constructor(public readonly path: string) {
        super(`The JSONPath '${path}' could not be found in the input`);
        this.name = "NoSuchJsonPathError";
    }
}

// json_path.py's two patterns, verbatim: a literal [n] at the end unwraps a one-element answer; the wildcard/slice
// shape answers [] instead of raising when nothing matches.
const SINGLETON_ARRAY_ACCESS = /\[\d+\]$/;
const SLICE_OR_WILDCARD_ACCESS = /\$(?:\.[^[]+\[(?:\*|\d*:\d*)\]|\[\*\])(?:\.[^[]+)*$/;

/** jsonpath-ng's DatumInContext, reduced to what extract_json looks at: the value and whether its path is an Index. */
interface Match { value: unknown; byIndex: boolean }

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Python truthiness, which jsonpath-ng's Index and Slice test before looking inside a value. */
function truthy(value: unknown): boolean {
    if (Array.isArray(value)) {
        return value.length > 0;
    }
    return isObject(value) ? Object.keys(value).length > 0 : Boolean(value);
}

/** The indices of Python's `range(0, length)[start:end:step]`. */
function pythonSlice(length: number, start?: number, end?: number, step = 1): number[] {
    if (step === 0) {
        throw new TypeError("slice step cannot be zero");
    }
    const clamp = (bound: number | undefined, fallback: number, low: number, high: number) =>
        bound === undefined ? fallback : Math.min(Math.max(bound < 0 ? bound + length : bound, low), high);
    const indices: number[] = [];
    if (step > 0) {
        for (let i = clamp(start, 0, 0, length); i < clamp(end, length, 0, length); i += step) {
            indices.push(i);
        }
    } else {
        for (let i = clamp(start, length - 1, -1, length - 1); i > clamp(end, -1, -1, length - 1); i += step) {
            indices.push(i);
        }
    }
    return indices;
}

function pythonEquals(left: unknown, right: unknown): boolean {
    const numeric = (value: unknown) => typeof value === "number" || typeof value === "boolean";
    if (numeric(left) && numeric(right)) {
        return Number(left) === Number(right);
    }
    return typeof left === typeof right && left === right;
}

/** Python's `<`, `>`, …: numbers (bools count as 0/1) or strings; anything else is a TypeError. */
function pythonOrder(left: unknown, right: unknown): number {
    const numeric = (value: unknown) => typeof value === "number" || typeof value === "boolean";
    if (numeric(left) && numeric(right)) {
        return Number(left) - Number(right);
    }
    if (typeof left === "string" && typeof right === "string") {
        return left < right ? -1 : left > right ? 1 : 0;
    }
    throw new TypeError(`'<' not supported between ${typeof left} and ${typeof right}`);
}

/** Python's `int(value)` as jsonpath-ng's filter applies it for an int (or bool) literal; undefined where it raises ValueError. */
function pythonInt(value: unknown): number | undefined {
    if (typeof value === "number" || typeof value === "boolean") {
        return Math.trunc(Number(value));
    }
    if (typeof value === "string") {
        return /^\s*[+-]?\d+\s*$/.test(value) ? Number(value.trim()) : undefined;
    }
    throw new TypeError(`int() argument must be a string or a number, not ${value === null ? "NoneType" : typeof value}`);
}

function satisfies(element: unknown, condition: Condition): boolean {
    const found = applySteps([{ value: element, byIndex: false }], condition.target);
    if (found.length === 0 || condition.operator === undefined) {
        return found.length > 0;
    }
    const literal = condition.literal!;
    return found.some(({ value }) => {
        let left = value;
        let right: unknown = literal;
        if (typeof literal === "number" || typeof literal === "boolean") {
            left = pythonInt(value);
            if (left === undefined) {
                return false;
            }
        } else if (typeof literal === "object") {
            right = literal.float;
        }
        switch (condition.operator) {
            case "==": case "=": return pythonEquals(left, right);
            case "!=": return !pythonEquals(left, right);
            case "<": return pythonOrder(left, right) < 0;
            case "<=": return pythonOrder(left, right) <= 0;
            case ">": return pythonOrder(left, right) > 0;
            case ">=": return pythonOrder(left, right) >= 0;
            case "=~": return typeof left === "string" && new RegExp(String(right)).test(left);
        }
        return false;
    });
}

function applyStep(match: Match, step: Step): Match[] {
    const { value } = match;
    switch (step.kind) {
        case "field":
            // Fields reads only objects (dict.get); `*` yields every member.
            if (!isObject(value)) {
                return [];
            }
            return (step.name === "*" ? Object.keys(value) : [step.name].filter(name => Object.hasOwn(value, name)))
                .map(name => ({ value: value[name], byIndex: false }));
        case "index": {
            // `if value and len(value) > index: [value[index]]`: a str yields a character, a dict a KeyError.
            if (!truthy(value)) {
                return [];
            }
            const length = Array.isArray(value) || typeof value === "string" ? value.length : isObject(value) ? Object.keys(value).length : NaN;
            if (Number.isNaN(length)) {
                throw new TypeError(`object of type ${typeof value} has no len()`);
            }
            if (length <= step.index) {
                return [];
            }
            const at = step.index < 0 ? length + step.index : step.index;
            if (isObject(value) || at < 0) {
                throw new RangeError(`index ${step.index} of ${JSON.stringify(value)}`);
            }
            return [{ value: (value as unknown[] | string)[at], byIndex: true }];
        }
        case "slice": {
            if (!truthy(value)) {
                return [];
            }
            // jsonpath-ng's Slice wraps an object, int (bool included) or string in a one-element list.
            const list = isObject(value) || typeof value === "string" || typeof value === "boolean" || Number.isInteger(value) ? [value] : value;
            if (!Array.isArray(list)) {
                throw new TypeError(`slice of a ${typeof value}`);
            }
            return pythonSlice(list.length, step.start, step.end, step.step).map(i => ({ value: list[i], byIndex: true }));
        }
        case "filter": {
            // An object is filtered as the list of its values.
            const list = isObject(value) ? Object.values(value) : value;
            return Array.isArray(list)
                ? list.filter(element => step.conditions.every(condition => satisfies(element, condition))).map(element => ({ value: element, byIndex: true }))
                : [];
        }
    }
}

function applySteps(matches: Match[], steps: Step[]): Match[] {
    return steps.reduce((current, step) => current.flatMap(match => applyStep(match, step)), matches);
}

/** jsonpath-ng's Descendants: the right-hand steps on a node, then on each of its children, depth first. */
function descendants(match: Match, steps: Step[]): Match[] {
    const { value } = match;
    const children = Array.isArray(value) ? value.map(child => ({ value: child, byIndex: true }))
        : isObject(value) ? Object.values(value).map(child => ({ value: child, byIndex: false })) : [];
    return [...applySteps([match], steps), ...children.flatMap(child => descendants(child, steps))];
}

function find(parsed: ParsedPath, data: unknown): Match[] {
    const [first, ...rest] = parsed.chains;
    return rest.reduce((matches, steps) => matches.flatMap(match => descendants(match, steps)), applySteps([{ value: data, byIndex: false }], first));
}

/** LocalStack 4.14's `extract_json(path, data)`. */
export function extractJson(path: string, data: unknown): unknown {
    const matches = find(parseJsonPath(path), data);
    if (matches.length === 0) {
        if (SLICE_OR_WILDCARD_ACCESS.test(path)) {
            return [];
        }
        throw new NoSuchJsonPathError(path);
    }
    if (matches.length > 1 || matches[0].byIndex) {
        const values = matches.map(match => match.value);
        return SINGLETON_ARRAY_ACCESS.test(path) && values.length === 1 ? values[0] : values;
    }
    return matches[0].value;
}

/**
 * Why LocalStack's answer can differ from AWS's (a list for any indefinite path, [] for none), or undefined when it
 * cannot: a definite path, or an indefinite one that ends in an Index-producing step (wildcard, slice, filter) and
 * matches the wildcard/slice pattern, so one match is a list and none is []. Assumes `[*]`/slices are applied to arrays
 * (jsonpath-ng wraps a non-array in a list where AWS yields nothing).
 */
export function portabilityProblem(path: string): string | undefined {
    const parsed = parseJsonPath(path);
    if (isDefinite(parsed)) {
        return undefined;
    }
    const steps = parsed.chains[parsed.chains.length - 1];
    const last = steps[steps.length - 1];
    if (!last || last.kind === "field") {
        return "ends in a member access after an indefinite step: LocalStack answers one match with a bare value, AWS with a list";
    }
    if (SINGLETON_ARRAY_ACCESS.test(path)) {
        return "ends in [n] after an indefinite step: LocalStack unwraps a one-element answer, AWS keeps the list";
    }
    if (!SLICE_OR_WILDCARD_ACCESS.test(path)) {
        return "LocalStack raises (States.Runtime) when it matches nothing, AWS answers []";
    }
    return undefined;
}
