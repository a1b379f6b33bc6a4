/** What the intrinsic evaluator needs from aws-local-stepfunctions: its functions, argument checks, JSONPath and error. */
export interface LibraryIntrinsics {
    functions: Record<string, { funcDefinition: unknown; execute(...args: unknown[]): unknown }>;
    validateArguments(funcDefinition: unknown, ...args: unknown[]): void;
    jsonPathQuery(path: string, input: unknown, context: unknown): unknown;
    StatesRuntimeError: new (message: string) => Error;
}

type Argument =
    | { kind: "literal"; value: unknown; raw?: string }
    | { kind: "path"; path: string }
    | { kind: "call"; name: string; args: Argument[] };

/** The four escapes of an intrinsic's string literal (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html#amazon-states-language-intrinsic-functions-escapes). */
const ESCAPABLE = new Set(["'", "{", "}", "\\"]);

class Parser {
    private position = 0;

    constructor(private readonly text: string, private readonly fail: (message: string) => Error) {}

    parseCall(): Argument {
        const match = /^States\.[A-Za-z0-9]+/.exec(this.text.slice(this.position));
        if (!match) {
            throw this.fail(`Invalid intrinsic function call at ${this.position}: ${this.text}`);
        }
        this.position += match[0].length;
        this.expect("(");
        const args: Argument[] = [];
        this.skipSpaces();
        if (this.text[this.position] === ")") {
            this.position++;
            return { kind: "call", name: match[0], args };
        }
        for (;;) {
            args.push(this.parseArgument());
            this.skipSpaces();
            const separator = this.text[this.position++];
            if (separator === ")") {
                return { kind: "call", name: match[0], args };
            }
            if (separator !== ",") {
                throw this.fail(`Expected ',' or ')' at ${this.position - 1}: ${this.text}`);
            }
        }
    }

    /** The whole text must be one call. */
    parseAll(): Argument {
        const call = this.parseCall();
        this.skipSpaces();
        if (this.position !== this.text.length) {
            throw this.fail(`Unexpected text after the intrinsic function call: ${this.text}`);
        }
        return call;
    }

    private parseArgument(): Argument {
        this.skipSpaces();
        const rest = this.text.slice(this.position);
        if (rest.startsWith("'")) {
            return this.parseString();
        }
        if (rest.startsWith("States.")) {
            return this.parseCall();
        }
        const token = this.readToken();
        if (token.startsWith("$")) {
            return { kind: "path", path: token };
        }
        try {
            return { kind: "literal", value: JSON.parse(token) };
        } catch {
            throw this.fail(`Invalid intrinsic function argument '${token}': ${this.text}`);
        }
    }

    /** A quoted literal: its value with escapes resolved, and its raw text (States.Format tells `\{\}` from `{}`). */
    private parseString(): Argument {
        let value = "";
        let raw = "";
        for (let index = this.position + 1; index < this.text.length; index++) {
            const char = this.text[index];
            if (char === "'") {
                this.position = index + 1;
                return { kind: "literal", value, raw };
            }
            if (char === "\\") {
                const escaped = this.text[index + 1];
                if (!ESCAPABLE.has(escaped)) {
                    throw this.fail(`Open escape backslash in intrinsic function string: ${this.text}`);
                }
                value += escaped;
                raw += char + escaped;
                index++;
                continue;
            }
            value += char;
            raw += char;
        }
        throw this.fail(`Unterminated string in intrinsic function: ${this.text}`);
    }

    /** A path or JSON literal runs to the next top-level ',' or ')'; brackets, parentheses and quotes inside filters nest. */
    private readToken(): string {
        const start = this.position;
        let depth = 0;
        let quote: string | undefined;
        for (; this.position < this.text.length; this.position++) {
            const char = this.text[this.position];
            if (quote) {
                quote = char === quote ? undefined : quote;
            } else if (char === "'" || char === "\"") {
                quote = char;
            } else if (char === "[" || char === "(") {
                depth++;
            } else if ((char === "]" || char === ")") && depth > 0) {
                depth--;
            } else if ((char === "," || char === ")") && depth === 0) {
                break;
            }
        }
        return this.text.slice(start, this.position).trim();
    }

    private expect(char: string): void {
        if (this.text[this.position] !== char) {
            throw this.fail(`Expected '${char}' at ${this.position}: ${this.text}`);
        }
        this.position++;
    }

    private skipSpaces(): void {
        while (/\s/.test(this.text[this.position] ?? "")) {
            this.position++;
        }
    }
}

/** States.Format renders strings as they are, lists and objects the Java way (`[a, b]`, `{k=v}`), other values as JSON. */
function formatValue(value: unknown): string {
    if (typeof value === "string") {
        return value;
    }
    if (Array.isArray(value)) {
        return `[${value.map(formatValue).join(", ")}]`;
    }
    if (value !== null && typeof value === "object") {
        return `{${Object.entries(value).map(([key, item]) => `${key}=${formatValue(item)}`).join(", ")}}`;
    }
    return JSON.stringify(value);
}

/**
 * Intrinsic functions as Step Functions evaluates them: escapes apply to the invocation's string literals only,
 * values from paths and function results are never altered, so States.JsonToString always returns valid JSON.
 */
export function createIntrinsicEvaluator(library: LibraryIntrinsics): (expression: string, input: unknown, context: unknown) => unknown {
    const fail = (message: string) => new library.StatesRuntimeError(message);

    function format(template: Argument, templateValue: unknown, values: unknown[]): string {
        if (typeof templateValue !== "string") {
            throw fail("Intrinsic function States.Format expected argument 1 to be of type 'string'");
        }
        // Only a literal template has escapes; `{}` there is a placeholder unless written `\{\}`.
        const pieces = template.kind === "literal" && template.raw !== undefined ? template.raw : templateValue;
        let result = "";
        let used = 0;
        for (let index = 0; index < pieces.length; index++) {
            const char = pieces[index];
            if (char === "\\" && template.kind === "literal") {
                result += pieces[++index];
            } else if (char === "{" && pieces[index + 1] === "}") {
                if (used >= values.length) {
                    throw fail("Number of arguments in States.Format do not match the occurrences of {}");
                }
                result += formatValue(values[used++]);
                index++;
            } else {
                result += char;
            }
        }
        if (used !== values.length) {
            throw fail("Number of arguments in States.Format do not match the occurrences of {}");
        }
        return result;
    }

    function evaluate(argument: Argument, input: unknown, context: unknown): unknown {
        if (argument.kind === "literal") {
            return argument.value;
        }
        if (argument.kind === "path") {
            return library.jsonPathQuery(argument.path, input, context);
        }
        const values = argument.args.map(item => evaluate(item, input, context));
        if (argument.name === "States.Format") {
            if (values.length === 0) {
                throw fail("Intrinsic function States.Format expects at least 1 arguments, but received 0");
            }
            return format(argument.args[0], values[0], values.slice(1));
        }
        const fn = library.functions[argument.name];
        if (!fn) {
            throw fail(`Unknown intrinsic function ${argument.name}`);
        }
        library.validateArguments(fn.funcDefinition, ...values);
        try {
            return fn.execute(...values);
        } catch (error) {
            // e.g. States.StringToJson of text that is not JSON.
            throw error instanceof library.StatesRuntimeError ? error : fail(`${argument.name}: ${(error as Error).message}`);
        }
    }

    return (expression, input, context) => evaluate(new Parser(expression, fail).parseAll(), input, context);
}
