import { Struct, validate } from "superstruct";

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** Validates with a superstruct schema and names every failing field, e.g. `quantity: Expected a number, but received: "2"`. */
export function check<T, S>(value: unknown, schema: Struct<T, S>): Checked<T> {
    const [error, result] = validate(value, schema, { coerce: false });
    if (!error) {
        return { ok: true, value: result as T };
    }
    return { ok: false, problems: error.failures().map(failure => `${failure.path.length ? failure.path.join(".") : "body"}: ${failure.message}`) };
}
