/** One input member and the constraints its service model puts on it. */
export interface Constraint {
    /** The member as AWS's messages name it (lower camel case, e.g. `roleSessionName`). */
    name: string;
    value: unknown;
    optional?: boolean;
    length?: [number, number];
    range?: [number, number];
    pattern?: string;
}

/**
 * The ValidationError message AWS's query services (STS, IAM) answer for input outside the model's constraints, one
 * entry per failed constraint, e.g. "1 validation error detected: Value 'a:b' at 'roleSessionName' failed to satisfy
 * constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*" (as quoted in JuliaCloud/AWSCore.jl#38,
 * getmoto/moto#9218); undefined when all hold.
 */
export function validationMessage(constraints: Constraint[]): string | undefined {
    const failures = constraints.flatMap(({ name, value, optional, length, range, pattern }) => {
        if (value === undefined) {
            return optional ? [] : [`Value null at '${name}' failed to satisfy constraint: Member must not be null`];
        }
        const text = String(value);
        const failed = (rule: string) => `Value '${text}' at '${name}' failed to satisfy constraint: Member must ${rule}`;
        return [
            ...(length && text.length < length[0] ? [failed(`have length greater than or equal to ${length[0]}`)] : []),
            ...(length && text.length > length[1] ? [failed(`have length less than or equal to ${length[1]}`)] : []),
            ...(range && Number(value) < range[0] ? [failed(`have value greater than or equal to ${range[0]}`)] : []),
            ...(range && Number(value) > range[1] ? [failed(`have value less than or equal to ${range[1]}`)] : []),
            ...(pattern && !new RegExp(`^(?:${pattern})$`, "u").test(text) ? [failed(`satisfy regular expression pattern: ${pattern}`)] : []),
        ];
    });
    return failures.length === 0 ? undefined : `${failures.length} validation error${failures.length > 1 ? "s" : ""} detected: ${failures.join("; ")}`;
}
