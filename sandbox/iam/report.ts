import type { Authorizer } from "./authorizer";
import { statementsOf } from "./policies";

/** One statement's grant of one action (pattern) and whether any call used it. */
export interface GrantUse {
    statement: string;
    action: string;
    resources: string[];
    used: boolean;
}

export interface PrincipalReport {
    principal: string;
    kind: "role" | "root" | "service";
    /** Every action the principal's calls were allowed, with the statements that allowed them. */
    used: { action: string; calls: number; resources: string[]; allowedBy: string[] }[];
    /** Every action its identity policies grant (roles only). */
    granted: GrantUse[];
    /** Grants no call used: candidates for removal. */
    findings: GrantUse[];
}

export interface IamReport {
    mode: string;
    principals: PrincipalReport[];
}

function asList(value: string | string[] | undefined): string[] {
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** IAM action patterns: case-insensitive, `*` and `?` wildcards (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html). */
function actionMatches(pattern: string, action: string): boolean {
    const expression = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    return new RegExp(`^${expression}$`, "i").test(action);
}

/** Per principal, the actions its calls used against the actions its policies grant; grants no call used are findings. */
export function iamReport(authorizer: Authorizer): IamReport {
    const principals: PrincipalReport[] = [];
    for (const role of authorizer.policies.identities.roles) {
        const usage = authorizer.usage.get(role.arn);
        const used = [...usage?.actions ?? []].map(([action, use]) => ({ action, calls: use.calls, resources: [...use.resources].sort(), allowedBy: [...use.grants].sort() }));
        const granted: GrantUse[] = authorizer.policies.grantsOf(role.arn).flatMap(({ name, policy }) => statementsOf(policy)
            .map((statement, index) => ({ statement, id: `${name}/${statement.Sid ?? `#${index + 1}`}` }))
            .filter(({ statement }) => statement.Effect === "Allow")
            .flatMap(({ statement, id }) => asList(statement.Action).map(pattern => ({
                statement: id, action: pattern, resources: asList(statement.Resource),
                used: used.some(use => use.allowedBy.includes(id) && actionMatches(pattern, use.action)),
            }))));
        principals.push({ principal: role.arn, kind: "role", used, granted, findings: granted.filter(grant => !grant.used) });
    }
    for (const [id, usage] of authorizer.usage) {
        if (usage.principal.kind !== "role") {
            const used = [...usage.actions].map(([action, use]) => ({ action, calls: use.calls, resources: [...use.resources].sort(), allowedBy: [...use.grants].sort() }));
            principals.push({ principal: id, kind: usage.principal.kind, used, granted: [], findings: [] });
        }
    }
    return { mode: authorizer.mode, principals };
}
