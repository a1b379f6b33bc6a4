import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "../support/program";

export interface Statement {
    Sid?: string;
    Principal?: unknown;
    Effect: "Allow" | "Deny";
    Action: string | string[];
    Resource: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
    Version: string;
    Statement: Statement[];
}

export const IAM_DIR = path.join(PROJECT_DIR, ".github/iam");

/** A policy from .github/iam with its placeholders filled in. */
export function readPolicy(file: string, values: Record<string, string> = {}): PolicyDocument {
    let text = fs.readFileSync(path.join(IAM_DIR, file), "utf8");
    for (const [placeholder, value] of Object.entries(values)) {
        text = text.split(placeholder).join(value);
    }
    return JSON.parse(text);
}

export const listOf = (value: string | string[]): string[] => (Array.isArray(value) ? value : [value]);

/** IAM's wildcards: `*` any run of characters, `?` one character. */
function globMatches(pattern: string, value: string, ignoreCase: boolean): boolean {
    const source = pattern.split("").map(char => (char === "*" ? ".*" : char === "?" ? "." : char.replace(/[.+^${}()|[\]\\]/g, "\\$&"))).join("");
    return new RegExp(`^${source}$`, ignoreCase ? "i" : "").test(value);
}

const CONDITION_OPERATORS: Record<string, (pattern: string, value: string) => boolean> = {
    StringEquals: (pattern, value) => pattern === value,
    StringLike: (pattern, value) => globMatches(pattern, value, false),
    ArnEquals: (pattern, value) => pattern === value,
    ArnLike: (pattern, value) => globMatches(pattern, value, false),
};

/** Every condition holds for the request context; a key the context lacks fails, as it does in IAM for these operators. */
function conditionsHold(condition: Statement["Condition"], context: Record<string, string>): boolean {
    return Object.entries(condition ?? {}).every(([operator, entries]) => {
        const test = CONDITION_OPERATORS[operator];
        if (!test) {
            throw new Error(`condition operator ${operator} is not modelled here`);
        }
        return Object.entries(entries).every(([key, patterns]) =>
            key in context && listOf(patterns).some(pattern => test(pattern, context[key])));
    });
}

/** Whether an Allow statement grants `action` on `resource` with this request context (no Deny statements are used here). */
export function allows(policy: PolicyDocument, action: string, resource: string, context: Record<string, string> = {}): boolean {
    return policy.Statement.some(statement =>
        statement.Effect === "Allow"
        && listOf(statement.Action).some(pattern => globMatches(pattern, action, true))
        && listOf(statement.Resource).some(pattern => globMatches(pattern, resource, false))
        && conditionsHold(statement.Condition, context));
}

export function actionsOf(policy: PolicyDocument): string[] {
    return [...new Set(policy.Statement.flatMap(statement => listOf(statement.Action)))];
}
