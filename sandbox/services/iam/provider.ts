import * as iamModel from "@aws-sdk/client-iam";
import { AwsError, SandboxContext } from "../../cloud";
import type { DeployedRole } from "../../iam/identity";
import { modelOf } from "../../protocols/model";
import { awsQueryCodec } from "../../protocols/query";
import type { OperationCall } from "../../protocols/wire";
import type { ServiceProvider } from "../../provider";
import { Constraint, validationMessage } from "../sts/validation";

const MODEL = modelOf(iamModel);

/** A page of IAM's list operations: 100 items unless MaxItems says otherwise (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoles.html). */
const DEFAULT_PAGE = 100;

type Input = Record<string, any>;

/** IAM returns policy documents URL-encoded as RFC 3986 says (encodeURIComponent leaves !'()* as they are); the CLI decodes them (botocore handlers.py json_decode_policies). */
function urlEncoded(document: string): string {
    return encodeURIComponent(document).replace(/[!'()*]/g, char => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

function noSuchEntity(message: string): AwsError {
    return new AwsError("NoSuchEntity", message, 404);
}

function validate(constraints: Constraint[]): void {
    const invalid = validationMessage(constraints);
    if (invalid) {
        throw new AwsError("ValidationError", invalid);
    }
}

const PAGE_CONSTRAINTS = (input: Input): Constraint[] => [
    { name: "marker", value: input.Marker, optional: true, length: [1, 320], pattern: "[\\u0020-\\u00FF]+" },
    { name: "maxItems", value: input.MaxItems, optional: true, range: [1, 1000] },
];
const ROLE_NAME = (input: Input): Constraint => ({ name: "roleName", value: input.RoleName, length: [1, 64], pattern: "[\\w+=,.@-]+" });

/** One page of items in name order (IAM documents no order), with the Marker that continues it: the next name, so a marker survives a change to the list. */
function page<T>(items: T[], nameOf: (item: T) => string, input: Input): { items: T[]; IsTruncated: boolean; Marker?: string } {
    const start = input.Marker === undefined ? 0 : items.findIndex(item => nameOf(item) >= Buffer.from(input.Marker, "base64url").toString("utf8"));
    const from = start < 0 ? items.length : start;
    const size = input.MaxItems ?? DEFAULT_PAGE;
    const next = items[from + size];
    return { items: items.slice(from, from + size), IsTruncated: next !== undefined, ...(next !== undefined ? { Marker: Buffer.from(nameOf(next)).toString("base64url") } : {}) };
}

/** IAM's read API over awsQuery for the roles the program deployed, decoded and encoded from the schemas @aws-sdk/client-iam ships. */
export class IamService implements ServiceProvider {
    readonly signingName = "iam";
    readonly api = { model: MODEL, codecs: { query: awsQueryCodec("https://iam.amazonaws.com/doc/2010-05-08/") } };
    /** The roles were created when the sandbox deployed the program; IAM reports dates to the second. */
    private readonly createDate = new Date(Math.floor(Date.now() / 1000) * 1000);

    constructor(private readonly ctx: SandboxContext) {}

    async call({ operation, input }: OperationCall): Promise<Input> {
        const handler = this.operations[operation];
        if (!handler) {
            throw new AwsError("NotImplemented", `The sandbox's IAM shows the deployed roles (ListRoles, GetRole, ListRolePolicies, GetRolePolicy); it does not serve ${operation}.`, 501);
        }
        return handler(input);
    }

    private role(name: string): DeployedRole {
        const role = this.ctx.identities.roles.find(candidate => candidate.name === name);
        if (!role) {
            throw noSuchEntity(`The role with name ${name} cannot be found.`);
        }
        return role;
    }

    /** A Role as ListRoles shows it; GetRole adds its tags. */
    private listed(role: DeployedRole): Input {
        return {
            Path: role.path, RoleName: role.name, RoleId: role.roleId, Arn: role.arn, CreateDate: this.createDate,
            AssumeRolePolicyDocument: urlEncoded(role.assumeRolePolicy), MaxSessionDuration: role.maxSessionDuration,
            ...(role.description !== undefined ? { Description: role.description } : {}),
        };
    }

    private readonly operations: Record<string, (input: Input) => Input> = {
        ListRoles: input => {
            validate([...PAGE_CONSTRAINTS(input), { name: "pathPrefix", value: input.PathPrefix, optional: true, length: [1, 512], pattern: "\\u002F[\\u0021-\\u007F]*" }]);
            const roles = this.ctx.identities.roles.filter(role => role.path.startsWith(input.PathPrefix ?? "/")).sort((a, b) => (a.name < b.name ? -1 : 1));
            const { items, ...rest } = page(roles, role => role.name, input);
            return { Roles: items.map(role => this.listed(role)), ...rest };
        },
        GetRole: input => {
            validate([ROLE_NAME(input)]);
            const role = this.role(input.RoleName);
            const tags = Object.entries(role.tags).map(([Key, Value]) => ({ Key, Value }));
            return { Role: { ...this.listed(role), ...(tags.length > 0 ? { Tags: tags } : {}) } };
        },
        ListRolePolicies: input => {
            validate([ROLE_NAME(input), ...PAGE_CONSTRAINTS(input)]);
            const { items, ...rest } = page([...this.role(input.RoleName).inlinePolicies.keys()].sort(), name => name, input);
            return { PolicyNames: items, ...rest };
        },
        GetRolePolicy: input => {
            validate([ROLE_NAME(input), { name: "policyName", value: input.PolicyName, length: [1, 128], pattern: "[\\w+=,.@-]+" }]);
            const role = this.role(input.RoleName);
            const document = role.inlinePolicies.get(input.PolicyName);
            if (document === undefined) {
                throw noSuchEntity(`The role policy with name ${input.PolicyName} cannot be found.`);
            }
            return { RoleName: role.name, PolicyName: input.PolicyName, PolicyDocument: urlEncoded(document) };
        },
    };
}
