import * as pulumi from "@pulumi/pulumi";

/** One IAM Allow statement: the exact actions a piece of code calls, on the resources it touches. */
export interface PolicyStatement {
    sid?: string;
    actions: string[];
    resources: pulumi.Input<string>[];
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: { Sid?: string; Effect: "Allow"; Action: string[]; Resource: string[] }[];
}

/** Renders statements as a policy document; rejects wildcard actions so no role can grant `*`. */
export function policyDocument(statements: PolicyStatement[]): pulumi.Output<string> {
    for (const statement of statements) {
        const wildcard = statement.actions.find(action => action === "*" || action.endsWith(":*"));
        if (wildcard) {
            throw new Error(`IAM statement ${statement.sid ?? statement.actions.join(",")} uses wildcard action ${wildcard}`);
        }
    }
    return pulumi
        .all(statements.map(statement => pulumi.all(statement.resources)))
        .apply(resolved => {
            const doc: PolicyDocument = {
                Version: "2012-10-17",
                Statement: statements.map((statement, index) => ({
                    ...(statement.sid ? { Sid: statement.sid } : {}),
                    Effect: "Allow",
                    Action: [...statement.actions].sort(),
                    Resource: resolved[index],
                })),
            };
            return JSON.stringify(doc);
        });
}

/** Trust policy letting one AWS service assume a role. */
export function assumeRolePolicy(service: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
    });
}
