type Json = Record<string, any>;

/** What a mapping template reads: the request body, its JSON, and `$context`. */
export interface TemplateScope { body: string; json: () => unknown; context: Json }

/** Java's StringEscapeUtils.escapeJavaScript, which `$util.escapeJavaScript` is. */
function escapeJavaScript(text: string): string {
    return text.replace(/[\\"'/\n\r\t\f\b]/g, char => ({ "\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f", "\b": "\\b" }[char] ?? `\\${char}`));
}

/** A JSONPath of the `$`, `$.a.b` or `$['a']` forms that mapping templates use. */
function jsonPath(value: unknown, path: string): unknown {
    const steps = path.replace(/^\$/, "").match(/\.[^.[]+|\[[^\]]+\]/g) ?? [];
    return steps.reduce<any>((current, step) => {
        const key = step.startsWith(".") ? step.slice(1) : step.slice(1, -1).replace(/^['"]|['"]$/g, "");
        return current === undefined || current === null ? undefined : current[key];
    }, value);
}

export function stringOf(value: unknown): string {
    return typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value);
}

const EXPRESSION = /\$util\.(\w+)\(((?:[^()]|\([^()]*\))*)\)|\$input\.(json|path)\('([^']*)'\)|\$input\.body|\$context\.([\w.]+)/g;

/** The subset of API Gateway's VTL the program's templates use: `$input`, `$context` and `$util` calls, no directives. */
export function renderTemplate(template: string, scope: TemplateScope): string {
    return template.replace(EXPRESSION, expression => evaluate(expression, scope));
}

function evaluate(expression: string, scope: TemplateScope): string {
    const quoted = /^["'](.*)["']$/s.exec(expression);
    if (quoted) {
        return quoted[1];
    }
    const util = /^\$util\.(\w+)\((.*)\)$/s.exec(expression);
    if (util) {
        const argument = evaluate(util[2].trim(), scope);
        switch (util[1]) {
            case "urlEncode": return encodeURIComponent(argument).replace(/%20/g, "+");
            case "urlDecode": return decodeURIComponent(argument.replace(/\+/g, " "));
            case "escapeJavaScript": return escapeJavaScript(argument);
            case "base64Encode": return Buffer.from(argument).toString("base64");
            case "base64Decode": return Buffer.from(argument, "base64").toString("utf8");
            default: throw new Error(`$util.${util[1]} is not supported by the sandbox`);
        }
    }
    const input = /^\$input\.(json|path)\('([^']*)'\)$/.exec(expression);
    if (input) {
        const value = jsonPath(scope.json(), input[2]);
        return input[1] === "json" ? JSON.stringify(value ?? null) : stringOf(value);
    }
    if (expression === "$input.body") {
        return scope.body;
    }
    const context = /^\$context\.([\w.]+)$/.exec(expression);
    if (context) {
        return stringOf(jsonPath(scope.context, `$.${context[1]}`));
    }
    return expression;
}
