import { getDenialReasons, getGrantReasons, runSimulation, type RequestAnalysis } from "@cloud-copilot/iam-simulate";
import { AwsError, SandboxLog } from "../cloud";
import type { Principal } from "./identity";
import { OperationScope, Requirement, requirementsOf } from "./operations";
import type { DeployedPolicies, NamedPolicy, PolicyDocument } from "./policies";

/** enforce: denied calls fail as on AWS; warn: they are logged and run; off: nothing is evaluated. */
export type IamMode = "enforce" | "warn" | "off";
export const IAM_MODES: readonly IamMode[] = ["enforce", "warn", "off"];

/** What a call carries besides its principal: how it arrived and, for a service's delivery, on whose behalf. */
export interface CallContext {
    /** Default true: the sandbox's http endpoint stands for AWS's HTTPS endpoints, the only ones SDKs and the CLI use (see README, "IAM in the sandbox"). */
    secureTransport?: boolean;
    /** aws:SourceArn of a service principal's call: the bucket, topic, rule or API it acts for. */
    sourceArn?: string;
    /** aws:SourceAccount of a service principal's call. */
    sourceAccount?: string;
}

/** A call IAM refuses; `service` shapes it the way that service answers (see denials.ts). */
export class AccessDeniedError extends AwsError {
    constructor(readonly principal: Principal, readonly action: string, readonly resource: string, message: string) {
        super("AccessDenied", message, 403);
    }
}

interface Decision {
    allowed: boolean;
    analysis?: RequestAnalysis;
    /** Why not, in AWS's words: the part of the message after "on resource: <arn>". */
    reason: string;
    /** The identity statements and resource policy statements that allowed it: `<policy>/<Sid or #index>`. */
    grants: string[];
}

/** One principal's calls: action → resources and the statements that allowed them. */
export interface Usage {
    principal: Principal;
    actions: Map<string, { resources: Set<string>; grants: Set<string>; calls: number }>;
}

/**
 * Evaluates every call with @cloud-copilot/iam-simulate against the caller's identity policies and the target's resource
 * policy, AWS's same-account logic (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html);
 * decisions are cached per principal, action, resource and context until a resource policy changes at run time.
 */
export class Authorizer {
    private readonly decisions = new Map<string, Promise<Decision>>();
    readonly usage = new Map<string, Usage>();

    /** Mutable so a benchmark can compare modes in one run (RunningSandbox.setIamMode). */
    constructor(public mode: IamMode, readonly policies: DeployedPolicies, private readonly scope: Omit<OperationScope, "keyOf">, private readonly log: SandboxLog) {}

    /** Replaces a resource's policy at run time (e.g. a queue's `Policy` attribute); cached decisions may depend on it. */
    setResourcePolicy(resourceArn: string, policy: PolicyDocument | undefined): void {
        this.policies.setResourcePolicy(resourceArn, policy);
        this.decisions.clear();
    }

    /** The authorizations of one operation call, by the request-context table; throws AccessDeniedError in enforce mode. */
    async authorize(principal: Principal, service: string, operation: string, input: Record<string, any>, context: CallContext = {}): Promise<void> {
        if (this.mode === "off") {
            return;
        }
        const requirements = requirementsOf(service, operation, input, { ...this.scope, keyOf: arn => this.policies.keyOf(arn) });
        for (const requirement of requirements ?? []) {
            await this.check(principal, requirement, context);
        }
    }

    /** Whether a service principal may make a delivery for its source; true in warn mode, where a denial is only logged. */
    async delivers(principal: Principal, sourceArn: string, target: { service: string; operation: string; input: Record<string, any> }): Promise<boolean> {
        try {
            await this.authorize(principal, target.service, target.operation, target.input, { sourceArn, sourceAccount: this.scope.accountId });
            return true;
        } catch (error) {
            if (error instanceof AccessDeniedError) {
                return false;
            }
            throw error;
        }
    }

    /** One action on one resource. */
    async check(principal: Principal, requirement: Requirement, context: CallContext = {}): Promise<void> {
        if (this.mode === "off") {
            return;
        }
        const key = `${principal.arn}\n${requirement.action}\n${requirement.resource}\n${context.secureTransport ?? true}\n${context.sourceArn ?? ""}\n${context.sourceAccount ?? ""}`;
        let pending = this.decisions.get(key);
        if (!pending) {
            pending = this.decide(principal, requirement, this.contextVariables(principal, context));
            this.decisions.set(key, pending);
        }
        const decision = await pending;
        if (decision.allowed) {
            this.recordUse(principal, requirement, decision.grants);
            return;
        }
        const message = `User: ${principal.arn} is not authorized to perform: ${requirement.action} on resource: ${requirement.resource} ${decision.reason}`;
        this.log({ kind: "iam", message: `${this.mode === "warn" ? "would deny" : "denied"} ${principal.arn} ${requirement.action} on ${requirement.resource}; would be allowed by ${await this.wouldAllow(principal, requirement, this.contextVariables(principal, context), decision)}` });
        if (this.mode === "enforce") {
            throw new AccessDeniedError(principal, requirement.action, requirement.resource, message);
        }
    }

    private contextVariables(principal: Principal, context: CallContext): Record<string, string> {
        return {
            "aws:SecureTransport": String(context.secureTransport ?? true),
            ...(principal.kind === "role" ? { "aws:PrincipalArn": principal.roleArn, "aws:PrincipalAccount": principal.accountId } : {}),
            ...(principal.kind === "root" ? { "aws:PrincipalArn": principal.arn, "aws:PrincipalAccount": principal.accountId } : {}),
            ...(context.sourceArn ? { "aws:SourceArn": context.sourceArn } : {}),
            ...(context.sourceAccount ? { "aws:SourceAccount": context.sourceAccount } : {}),
        };
    }

    private async simulate(principal: Principal, requirement: Requirement, variables: Record<string, string>, identityPolicies: NamedPolicy[]): Promise<RequestAnalysis | string> {
        const resourceAccount = requirement.resource.split(":")[4] || this.scope.accountId;
        const result = await runSimulation({
            request: { principal: principal.arn, action: requirement.action, resource: { resource: requirement.resource, accountId: resourceAccount }, contextVariables: variables },
            identityPolicies, serviceControlPolicies: [], resourceControlPolicies: [], resourcePolicy: this.policies.resourcePolicy(requirement.resource),
        }, {});
        if (result.resultType === "error") {
            return JSON.stringify(result.errors);
        }
        return result.resultType === "single" ? result.result.analysis : result.results[0]?.analysis ?? "no simulation matched the resource";
    }

    private async decide(principal: Principal, requirement: Requirement, variables: Record<string, string>): Promise<Decision> {
        const analysis = await this.simulate(principal, requirement, variables, this.policies.identityPolicies(principal));
        if (typeof analysis === "string") {
            this.log({ kind: "error", message: `iam: cannot evaluate ${requirement.action} on ${requirement.resource} for ${principal.arn}: ${analysis}` });
            return { allowed: false, reason: "because the sandbox could not evaluate its policies", grants: [] };
        }
        if (analysis.result === "Allowed") {
            const grants = getGrantReasons(analysis).map(grant => `${"policyIdentifier" in grant ? grant.policyIdentifier : `resource policy of ${requirement.resource.split("/")[0]}`}/${grant.statementId ?? `#${grant.statementIndex}`}`);
            return { allowed: true, analysis, reason: "", grants };
        }
        const denials = getDenialReasons(analysis);
        const explicit = denials.find(denial => denial.denialType === "Explicit");
        const reason = explicit
            ? `with an explicit deny in ${explicit.policyType === "resource" ? "a resource-based" : "an identity-based"} policy`
            : denials.some(denial => denial.policyType === "identity") && principal.kind !== "service"
                ? `because no identity-based policy allows the ${requirement.action} action`
                : `because no resource-based policy allows the ${requirement.action} action`;
        return { allowed: false, analysis, reason, grants: [] };
    }

    /** The statement that would allow a denied call: one a test removed, or the one to add. */
    private async wouldAllow(principal: Principal, requirement: Requirement, variables: Record<string, string>, decision: Decision): Promise<string> {
        const explicit = decision.analysis ? getDenialReasons(decision.analysis).find(denial => denial.denialType === "Explicit") : undefined;
        if (explicit?.denialType === "Explicit") {
            return `nothing: statement ${explicit.statementId ?? `#${explicit.statementIndex}`} of the ${explicit.policyType} policy denies it`;
        }
        for (const [id, removed] of this.policies.removed) {
            if (principal.kind === "role" && removed.role.arn === principal.roleArn) {
                const analysis = await this.simulate(principal, requirement, variables, [...this.policies.identityPolicies(principal), { name: "removed", policy: { Version: "2012-10-17", Statement: [removed.statement] } }]);
                if (typeof analysis !== "string" && analysis.result === "Allowed") {
                    return `statement ${id} (removed by --without-statement)`;
                }
            }
        }
        const statement = { Effect: "Allow", Action: requirement.action, Resource: requirement.resource };
        if (principal.kind === "service") {
            const condition = variables["aws:SourceArn"] ? { Condition: { ArnLike: { "aws:SourceArn": variables["aws:SourceArn"] } } } : {};
            return `a resource policy statement ${JSON.stringify({ ...statement, Principal: { Service: principal.service }, ...condition })}`;
        }
        return principal.kind === "role" ? `an identity policy statement of role ${principal.roleName}: ${JSON.stringify(statement)}` : `a resource policy statement allowing ${principal.arn}`;
    }

    private recordUse(principal: Principal, requirement: Requirement, grants: string[]): void {
        const id = principal.kind === "role" ? principal.roleArn : principal.arn;
        let usage = this.usage.get(id);
        if (!usage) {
            usage = { principal, actions: new Map() };
            this.usage.set(id, usage);
        }
        let action = usage.actions.get(requirement.action);
        if (!action) {
            action = { resources: new Set(), grants: new Set(), calls: 0 };
            usage.actions.set(requirement.action, action);
        }
        action.calls += 1;
        action.resources.add(requirement.resource);
        grants.forEach(grant => action!.grants.add(grant));
    }
}
