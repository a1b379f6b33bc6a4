/**
 * The subset of jsonpath-ng 1.7.0's `jsonpath_ng.ext` grammar (jsonpath_ng/parser.py, ext/parser.py) that state
 * machines use: $, .name, ['name'], .*, [n], [*], [a:b:c], [?(...)] with &, and `..`. Anything else throws
 * UnsupportedJsonPathError, so a definition cannot pass a test on syntax the LocalStack emulation does not know.
 */

export class UnsupportedJsonPathError extends Error {
    constructor(path: string, reason: string) {
        super(`${path}: ${reason} (not emulated)`);
        this.name = "UnsupportedJsonPathError";
    }
}

export type Operator = "==" | "=" | "!=" | "<" | "<=" | ">" | ">=" | "=~";
export type Literal = string | number | boolean | { float: number };
export interface Condition { target: Step[]; operator?: Operator; literal?: Literal }

export type Step =
    | { kind: "field"; name: string }
    | { kind: "index"; index: number }
    | { kind: "slice"; start?: number; end?: number; step?: number }
    | { kind: "filter"; conditions: Condition[] };

/** A parsed path: the steps from the root, then one step list per `..` (jsonpath-ng's Descendants, left-associative). */
export interface ParsedPath { chains: Step[][] }

const NAME = /^[A-Za-z0-9_@-]+/;

class Parser {
    private at = 0;
    constructor(private readonly text: string) {}

    parsePath(): ParsedPath {
        this.expect("$");
        const chains: Step[][] = [this.chain(false)];
        while (this.text.startsWith("..", this.at)) {
            this.at += 2;
            chains.push(this.chain(true));
        }
        if (this.at < this.text.length) {
            this.fail(`unexpected '${this.text.slice(this.at)}'`);
        }
        return { chains };
    }

    /** Steps up to the next `..`; after `..` the first step has no leading dot (`..name`, `..*`, `..[0]`). */
    private chain(afterDescendants: boolean): Step[] {
        const steps: Step[] = [];
        if (afterDescendants && this.peek() !== "[") {
            steps.push(this.member());
        }
        for (;;) {
            if (this.peek() === "." && !this.text.startsWith("..", this.at)) {
                this.at++;
                steps.push(this.member());
            } else if (this.peek() === "[") {
                steps.push(this.bracket());
            } else {
                return steps;
            }
        }
    }

    private member(): Step {
        if (this.peek() === "*") {
            this.at++;
            return { kind: "field", name: "*" };
        }
        const name = NAME.exec(this.text.slice(this.at))?.[0];
        if (!name) {
            this.fail("expected a member name");
        }
        this.at += name!.length;
        return { kind: "field", name: name! };
    }

    private bracket(): Step {
        this.expect("[");
        let step: Step;
        const rest = this.text.slice(this.at);
        if (rest.startsWith("?")) {
            this.at++;
            step = { kind: "filter", conditions: this.conditions() };
        } else if (rest.startsWith("'") || rest.startsWith("\"")) {
            step = { kind: "field", name: this.quoted() };
        } else if (rest.startsWith("*")) {
            this.at++;
            step = { kind: "slice" };
        } else {
            const slice = /^(-?\d+)?(?::(-?\d+)?)?(?::(-?\d+)?)?/.exec(rest)![0];
            if (!slice) {
                this.fail("expected an index, slice, wildcard, filter or quoted name");
            }
            this.at += slice.length;
            const [start, end, step3] = slice.split(":").map(part => part === "" ? undefined : Number(part));
            step = slice.includes(":") ? { kind: "slice", start, end, step: step3 } : { kind: "index", index: start! };
        }
        this.skipSpaces();
        this.expect("]");
        return step;
    }

    /** `?(a & b)` or `?a & b`: jsonpath-ng's ext filter has only `&` (no `||`, no `!`). */
    private conditions(): Condition[] {
        this.skipSpaces();
        if (this.peek() === "(") {
            this.at++;
            const inner = this.conditions();
            this.skipSpaces();
            this.expect(")");
            return inner;
        }
        const conditions = [this.condition()];
        this.skipSpaces();
        while (this.peek() === "&") {
            this.at++;
            conditions.push(...this.conditions());
            this.skipSpaces();
        }
        return conditions;
    }

    private condition(): Condition {
        this.skipSpaces();
        this.expect("@");
        const target = this.chain(false);
        this.skipSpaces();
        const operator = /^(=~|==?|<=|>=|!=|<|>)/.exec(this.text.slice(this.at))?.[0] as Operator | undefined;
        if (!operator) {
            return { target };
        }
        this.at += operator.length;
        this.skipSpaces();
        return { target, operator, literal: this.literal() };
    }

    /** The ext lexer's right-hand tokens: a quoted or bare ID (a string), FLOAT, NUMBER (an int) or BOOL. */
    private literal(): Literal {
        const rest = this.text.slice(this.at);
        if (rest.startsWith("'") || rest.startsWith("\"")) {
            return this.quoted();
        }
        const token = /^(-?\d+\.\d+|-?\d+|[A-Za-z_][A-Za-z0-9_@-]*)/.exec(rest)?.[0];
        if (!token) {
            this.fail("expected a literal");
        }
        this.at += token!.length;
        if (token === "true" || token === "false") {
            return token === "true";
        }
        if (/^-?\d+\.\d+$/.test(token!)) {
            return { float: Number(token) };
        }
        return /^-?\d+$/.test(token!) ? Number(token) : token!;
    }

    /** jsonpath-ng's quoted ID: a backslash keeps the next character. */
    private quoted(): string {
        const quote = this.text[this.at++];
        let value = "";
        while (this.at < this.text.length && this.text[this.at] !== quote) {
            value += this.text[this.at] === "\\" ? this.text[++this.at] : this.text[this.at];
            this.at++;
        }
        this.expect(quote);
        return value;
    }

    private peek(): string | undefined {
        return this.text[this.at];
    }

    private skipSpaces(): void {
        while (this.peek() === " " || this.peek() === "\t") {
            this.at++;
        }
    }

    private expect(char: string): void {
        if (this.text[this.at] !== char) {
            this.fail(`expected '${char}' at ${this.at}`);
        }
        this.at++;
    }

    private fail(reason: string): never {
        throw new UnsupportedJsonPathError(this.text, reason);
    }
}

export function parseJsonPath(path: string): ParsedPath {
    return new Parser(path).parsePath();
}

/** True when no `..`, wildcard, slice or filter appears: one node or none, the same answer everywhere. */
export function isDefinite(parsed: ParsedPath): boolean {
    return parsed.chains.length === 1 && parsed.chains[0].every(step => step.kind === "index" || (step.kind === "field" && step.name !== "*"));
}
