import { createHash } from "crypto";
import { resourcesOfType } from "../cloud";
import type { RecordedResource } from "../mock-cloud";

/** Who makes a call: the account root (the default `test` keys), a role session, or a service delivering on its own behalf. */
export type Principal =
    | { kind: "root"; arn: string; accountId: string }
    | { kind: "role"; arn: string; accountId: string; roleArn: string; roleName: string; sessionName: string }
    | { kind: "service"; arn: string; accountId: string; service: string };

/** Temporary credentials as STS AssumeRole returns them. */
export interface SessionCredentials {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken: string;
    expiration: Date;
}

/** A deployed role with its inline policies (RolePolicy resources), as the sandbox evaluates and IAM's read API shows them. */
export interface DeployedRole {
    name: string;
    arn: string;
    roleId: string;
    path: string;
    description?: string;
    assumeRolePolicy: string;
    /** Longest session AssumeRole may grant, in seconds (the role's MaxSessionDuration, 3600 unless set). */
    maxSessionDuration: number;
    tags: Record<string, string>;
    /** Inline policy name → policy document (JSON text). */
    inlinePolicies: Map<string, string>;
}

/** One hour, AssumeRole's default DurationSeconds (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html). */
const SESSION_SECONDS = 3600;

function policyText(policy: unknown): string {
    return typeof policy === "string" ? policy : JSON.stringify(policy);
}

/**
 * The identities of one sandbox: the program's roles and the access keys that act as them. Keys are derived from
 * the role and session name, so the same session always signs with the same key; any key not issued here is the root's.
 */
export class Identities {
    readonly roles: DeployedRole[];
    private readonly sessions = new Map<string, Principal>();

    constructor(readonly accountId: string, resources: RecordedResource[]) {
        const policies = resourcesOfType(resources, "aws:iam/rolePolicy:RolePolicy");
        this.roles = resourcesOfType(resources, "aws:iam/role:Role").map(role => ({
            name: role.state.name,
            arn: role.state.arn,
            roleId: role.state.uniqueId,
            path: role.inputs.path ?? "/",
            description: role.inputs.description,
            assumeRolePolicy: policyText(role.inputs.assumeRolePolicy),
            maxSessionDuration: role.inputs.maxSessionDuration ?? SESSION_SECONDS,
            tags: role.inputs.tags ?? {},
            inlinePolicies: new Map(policies
                .filter(policy => policy.inputs.role === role.state.name || policy.inputs.role === role.state.arn)
                .map(policy => [String(policy.state.name ?? policy.inputs.name ?? policy.name), policyText(policy.inputs.policy)])),
        }));
    }

    root(): Principal {
        return { kind: "root", arn: `arn:aws:iam::${this.accountId}:root`, accountId: this.accountId };
    }

    service(service: string): Principal {
        return { kind: "service", arn: service, accountId: this.accountId, service };
    }

    role(nameOrArn: string): DeployedRole | undefined {
        return this.roles.find(role => role.name === nameOrArn || role.arn === nameOrArn);
    }

    /** Credentials that act as the role, expiring on a whole second as STS's do; undefined when the program deployed no such role. */
    issue(roleNameOrArn: string, sessionName: string, durationSeconds = SESSION_SECONDS): SessionCredentials | undefined {
        const role = this.role(roleNameOrArn);
        if (!role) {
            return undefined;
        }
        const digest = createHash("sha256").update(`${role.arn}\n${sessionName}`).digest("hex");
        const accessKeyId = `ASIA${digest.slice(0, 16).toUpperCase()}`;
        this.sessions.set(accessKeyId, {
            kind: "role", accountId: this.accountId, roleArn: role.arn, roleName: role.name, sessionName,
            arn: `arn:aws:sts::${this.accountId}:assumed-role/${role.name}/${sessionName}`,
        });
        return { accessKeyId, secretAccessKey: digest.slice(16, 56), sessionToken: `sandbox-${digest.slice(0, 32)}`, expiration: new Date((Math.floor(Date.now() / 1000) + durationSeconds) * 1000) };
    }

    /**
     * Whether the principal may assume the role by its trust policy alone: an Allow for sts:AssumeRole naming the caller's
     * role, session or account (or "*") and no such Deny; the sandbox evaluates no conditions, so a conditional Allow never matches and a conditional Deny always does.
     * The caller's own policies are the authorizer's part (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
     */
    trusts(role: DeployedRole, principal: Principal): boolean {
        const names = new Set(["*", principal.arn, principal.accountId, `arn:aws:iam::${principal.accountId}:root`, ...(principal.kind === "role" ? [principal.roleArn] : [])]);
        const matching = (effect: string) => trustStatements(role).some(statement => statement.Effect === effect && (effect === "Deny" || !statement.Condition)
            && asList(statement.Action).some(action => ["sts:AssumeRole", "sts:*", "*"].includes(action))
            && (statement.Principal === "*" || asList(statement.Principal?.AWS).some(name => names.has(name))));
        return matching("Allow") && !matching("Deny");
    }

    /**
     * The principal of an in-process call made with a role (a state machine's, an integration's credentials): a session
     * of that role, or the account root when the program deployed no such role, as a function without one signs with the root's keys.
     */
    actingAs(roleNameOrArn: string | undefined, sessionName: string): Principal {
        return this.principalOf(roleNameOrArn ? this.issue(roleNameOrArn, sessionName)?.accessKeyId : undefined);
    }

    /** The principal a request signed with this access key acts as: a session issued here, else the account root. */
    principalOf(accessKeyId: string | undefined): Principal {
        return (accessKeyId && this.sessions.get(accessKeyId)) || this.root();
    }
}

function asList(value: unknown): string[] {
    return value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String);
}

function trustStatements(role: DeployedRole): Array<Record<string, any>> {
    const statements = (JSON.parse(role.assumeRolePolicy) as { Statement?: unknown }).Statement ?? [];
    return Array.isArray(statements) ? statements : [statements];
}

/** The access key of a SigV4-signed request (Authorization header or presigned URL), if any. */
export function accessKeyOf(authorization: string | undefined, url: URL): string | undefined {
    const credential = /Credential=([^,\s/]+)\//.exec(authorization ?? "")?.[1] ?? url.searchParams.get("X-Amz-Credential")?.split("/")[0];
    return credential || undefined;
}
