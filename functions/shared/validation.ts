import { Struct, validate } from "superstruct";

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** Validates with a superstruct schema and names every failing field, e.g. `quantity: Expected a number, but received: "2"`. */
export function check<T, S>(value: unknown, schema: Struct<T, S>): Checked<T> {
    try {
        const [error, result] = validate(value, schema, { coerce: false });
        if (!error) {
            return { ok: true, value: result as T };
        }
        // failures() prints the remaining failures lazily, so it can throw like validate() itself.
        return { ok: false, problems: error.failures().map(failure => `${failure.path.length ? failure.path.join(".") : "body"}: ${failure.message}`) };
    } catch {
        // superstruct prints offending values; JSON objects with own toString/valueOf keys make that throw.
        return { ok: false, problems: ["body: holds an object with a toString or valueOf key, which cannot be validated"] };
    }
}
