/** Where a state machine definition reads a JSONPath, and the path (`$$.` context paths as `$.` on the context object). */
export interface PathUse { at: string; path: string; referencePath: boolean }

/** The `$…` arguments of an intrinsic function call, nested calls included. */
export function intrinsicPathArguments(expression: string): string[] {
    const open = expression.indexOf("(");
    const body = expression.slice(open + 1, expression.lastIndexOf(")"));
    const args: string[] = [];
    let depth = 0;
    let quoted = false;
    let current = "";
    for (let i = 0; i < body.length; i++) {
        const char = body[i];
        if (quoted && char === "\\") {
            current += char + body[++i];
            continue;
        }
        if (char === "'") {
            quoted = !quoted;
        } else if (!quoted && char === "(") {
            depth++;
        } else if (!quoted && char === ")") {
            depth--;
        } else if (!quoted && depth === 0 && char === ",") {
            args.push(current.trim());
            current = "";
            continue;
        }
        current += char;
    }
    args.push(current.trim());
    return args.flatMap(arg => arg.startsWith("States.") ? intrinsicPathArguments(arg) : arg.startsWith("$") ? [arg] : []);
}

function asDataPath(path: string): string {
    return path.startsWith("$$") ? path.slice(1) : path;
}

/**
 * Every JSONPath a definition evaluates: `.$` fields of payload templates (Parameters, ItemSelector, ResultSelector)
 * and the paths inside their intrinsic calls, InputPath, OutputPath, ItemsPath, Choice Variables and `…Path`
 * comparisons. `Result` is a literal and ResultPath only writes, so neither is read. `referencePath` marks the fields
 * where AWS accepts only a reference path (definite): Choice rules, ItemsPath and the other `…Path` settings.
 */
export function pathsOf(definition: unknown, at = ""): PathUse[] {
    if (Array.isArray(definition)) {
        return definition.flatMap((item, index) => pathsOf(item, `${at}/${index}`));
    }
    if (typeof definition !== "object" || definition === null) {
        return [];
    }
    return Object.entries(definition).flatMap(([key, value]): PathUse[] => {
        const where = `${at}/${key}`;
        if (key === "Result" || key === "ResultPath" || key === "Comment") {
            return [];
        }
        if (typeof value !== "string") {
            return pathsOf(value, where);
        }
        if (key.endsWith(".$")) {
            const paths = value.startsWith("States.") ? intrinsicPathArguments(value) : [value];
            return paths.map(path => ({ at: where, path: asDataPath(path), referencePath: false }));
        }
        if ((key === "Variable" || key.endsWith("Path")) && value.startsWith("$")) {
            return [{ at: where, path: asDataPath(value), referencePath: key !== "InputPath" && key !== "OutputPath" }];
        }
        return [];
    });
}
