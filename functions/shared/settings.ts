/**
 * One Lambda environment variable: the key it travels under and how its text becomes a value. `read` throws an
 * Error whose message says what is wrong; {@link loadSettings} prefixes it with the key.
 */
export interface Setting<T> {
    readonly key: string;
    /** Set when a component may leave the variable out (the setting then reads `undefined` or its fallback). */
    readonly optional?: true;
    read(raw: string | undefined): T;
}

/** A function's settings by name: what a system's contract exports and what a handler loads at init. */
export type SettingsSpec = Record<string, Setting<unknown>>;

/** The values a spec loads to, by name. */
export type SettingsOf<S extends SettingsSpec> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

type OptionalNames<S extends SettingsSpec> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S];

/** What a component passes to {@link environment}: every required setting, optional ones when it has them. */
export type EnvironmentValues<S extends SettingsSpec, V> =
    { [K in Exclude<keyof S, OptionalNames<S>>]: V } & { [K in OptionalNames<S>]?: V | undefined };

/** A setting that must be present and non-empty. */
export function required(key: string): Setting<string> {
    return {
        key, read: raw => {
            if (raw === undefined || raw === "") {
                throw new Error("is not set");
            }
            return raw;
        },
    };
}

/** A setting a component may omit; reads `undefined` then. */
export function optional(key: string): Setting<string | undefined> & { optional: true } {
    return { key, optional: true, read: raw => (raw === undefined || raw === "" ? undefined : raw) };
}

/** A setting parsed by `parse`, which receives `undefined` when the variable is absent. */
export function parsed<T>(key: string, parse: (raw: string | undefined) => T): Setting<T> & { optional: true } {
    return { key, optional: true, read: parse };
}

/** A required whole number in `[min, max]`. */
export function integerSetting(key: string, min: number, max = Number.MAX_SAFE_INTEGER): Setting<number> {
    return {
        key, read: raw => {
            const value = Number(raw);
            if (raw === undefined || raw === "" || !Number.isInteger(value) || value < min || value > max) {
                throw new Error(`must be a whole number in [${min}, ${max}], got ${JSON.stringify(raw)}`);
            }
            return value;
        },
    };
}

/** A required JSON array of strings (settings that list resource names travel as JSON). */
export function stringListSetting(key: string): Setting<string[]> {
    return {
        key, read: raw => {
            const value: unknown = raw === undefined || raw === "" ? undefined : JSON.parse(raw);
            if (!Array.isArray(value) || value.some(item => typeof item !== "string")) {
                throw new Error("must be a JSON array of strings");
            }
            return value as string[];
        },
    };
}

/** A required JSON object whose values are strings. */
export function stringMapSetting(key: string): Setting<Record<string, string>> {
    return {
        key, read: raw => {
            const value: unknown = raw === undefined || raw === "" ? undefined : JSON.parse(raw);
            if (typeof value !== "object" || value === null || Array.isArray(value) || Object.values(value).some(item => typeof item !== "string")) {
                throw new Error("must be a JSON object of strings");
            }
            return value as Record<string, string>;
        },
    };
}

/** Settings of any function that starts a workflow: the state machine it starts (orders, file-copy, replication). */
export function startsWorkflowSettings() {
    return { stateMachineArn: required("STATE_MACHINE_ARN") };
}

/** Reads every setting of `spec` from the environment; throws at init naming each missing or invalid key. */
export function loadSettings<S extends SettingsSpec>(spec: S, env: Record<string, string | undefined> = process.env): SettingsOf<S> {
    const values: Record<string, unknown> = {};
    const problems: string[] = [];
    for (const [name, setting] of Object.entries(spec)) {
        try {
            values[name] = setting.read(env[setting.key]);
        } catch (error) {
            problems.push(`${setting.key} ${(error as Error).message}`);
        }
    }
    if (problems.length) {
        throw new Error(`Invalid function settings: ${problems.join("; ")}`);
    }
    return values as SettingsOf<S>;
}

/** The environment variables a component gives a function: `values` by name, under the contract's keys. */
export function environment<S extends SettingsSpec, V>(spec: S, values: EnvironmentValues<S, V>): Record<string, V> {
    const variables: Record<string, V> = {};
    for (const [name, setting] of Object.entries(spec)) {
        const value = (values as Record<string, V | undefined>)[name];
        if (value !== undefined) {
            variables[setting.key] = value;
        }
    }
    return variables;
}
