import * as stsModel from "@aws-sdk/client-sts";
import { AwsError, SandboxContext } from "../../cloud";
import { accessKeyOf, Principal } from "../../iam/identity";
import { modelOf } from "../../protocols/model";
import { awsQueryCodec } from "../../protocols/query";
import type { OperationCall, WireRequest } from "../../protocols/wire";
import type { ServiceProvider } from "../../provider";
import { validationMessage } from "./validation";

const MODEL = modelOf(stsModel);

/** STS's role ARN check, the one LocalStack applies before anything else (localstack services/sts/provider.py ROLE_ARN_REGEX). */
const ROLE_ARN = /^arn:[^:]+:[^:]+:[^:]*:[^:]*:[^:]+$/;
/** Session policies, tags and MFA would narrow or condition the session; the sandbox keeps none, so it refuses them rather than ignore them. */
const UNSUPPORTED = ["Policy", "PolicyArns", "Tags", "TransitiveTagKeys", "SerialNumber", "TokenCode", "ProvidedContexts"];
/** A session assumed by another role's session lasts at most one hour (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining). */
const CHAINED_SESSION_SECONDS = 3600;

type Input = Record<string, any>;

/** STS over awsQuery, decoded and encoded from the schemas @aws-sdk/client-sts ships. */
export class StsService implements ServiceProvider {
    readonly signingName = "sts";
    readonly api = { model: MODEL, codecs: { query: awsQueryCodec("https://sts.amazonaws.com/doc/2011-06-15/") } };

    constructor(private readonly ctx: SandboxContext) {}

    async call({ operation, input }: OperationCall, request?: WireRequest): Promise<Input> {
        const caller = this.ctx.identities.principalOf(request && accessKeyOf(request.headers.authorization, request.url));
        switch (operation) {
            case "GetCallerIdentity":
                return { UserId: this.userId(caller), Account: caller.accountId, Arn: caller.arn };
            case "AssumeRole":
                return this.assumeRole(caller, input);
            default:
                throw new AwsError("InvalidAction", `The sandbox's STS does not serve ${operation}.`);
        }
    }

    private userId(principal: Principal): string {
        return principal.kind === "role" ? `${this.ctx.identities.role(principal.roleArn)?.roleId}:${principal.sessionName}` : principal.accountId;
    }

    private assumeRole(caller: Principal, input: Input): Input {
        const invalid = validationMessage([
            { name: "roleArn", value: input.RoleArn, length: [20, 2048] },
            { name: "roleSessionName", value: input.RoleSessionName, length: [2, 64], pattern: "[\\w+=,.@-]*" },
            { name: "durationSeconds", value: input.DurationSeconds, optional: true, range: [900, 43200] },
        ]);
        if (invalid) {
            throw new AwsError("ValidationError", invalid);
        }
        const unsupported = UNSUPPORTED.filter(name => input[name] !== undefined);
        if (unsupported.length > 0) {
            throw new AwsError("NotImplemented", `The sandbox's AssumeRole does not support ${unsupported.join(", ")}.`, 501);
        }
        if (!ROLE_ARN.test(input.RoleArn)) {
            throw new AwsError("ValidationError", `${input.RoleArn} is invalid`);
        }
        const role = this.ctx.identities.roles.find(candidate => candidate.arn === input.RoleArn);
        // The account root may assume every role of the program (the issue asks it; LocalStack 4.14 evaluates no trust policy), any other caller only by the role's trust policy as on AWS.
        if (!role || (caller.kind !== "root" && !this.ctx.identities.trusts(role, caller))) {
            throw new AwsError("AccessDenied", `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`, 403);
        }
        const duration: number = input.DurationSeconds ?? 3600;
        if (duration > role.maxSessionDuration) {
            throw new AwsError("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
        }
        if (caller.kind === "role" && duration > CHAINED_SESSION_SECONDS) {
            throw new AwsError("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
        }
        const credentials = this.ctx.identities.issue(role.arn, input.RoleSessionName, duration)!;
        const principal = this.ctx.identities.principalOf(credentials.accessKeyId);
        return {
            Credentials: { AccessKeyId: credentials.accessKeyId, SecretAccessKey: credentials.secretAccessKey, SessionToken: credentials.sessionToken, Expiration: credentials.expiration },
            AssumedRoleUser: { AssumedRoleId: this.userId(principal), Arn: principal.arn },
            ...(input.SourceIdentity !== undefined ? { SourceIdentity: input.SourceIdentity } : {}),
        };
    }
}
