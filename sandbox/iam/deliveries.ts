import type { SandboxContext } from "../cloud";

/** What a delivery does at its target, in the request-context table's terms (e.g. sqs SendMessage with its QueueUrl). */
export interface DeliveryTarget {
    service: string;
    operation: string;
    input: Record<string, any>;
}

/**
 * Delivers as a service principal (`sns.amazonaws.com`...) on behalf of its source, which the target's resource policy
 * must allow with aws:SourceArn and aws:SourceAccount (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).
 * A denied delivery is logged and dropped, as AWS discards what it may not deliver once its retries are spent.
 */
export function deliverAs(ctx: SandboxContext, servicePrincipal: string, sourceArn: string, target: DeliveryTarget, send: () => void): void {
    const authorizer = ctx.authorizer;
    if (!authorizer || authorizer.mode === "off") {
        send();
        return;
    }
    void authorizer.delivers(ctx.identities.service(servicePrincipal), sourceArn, target).then(allowed => {
        if (allowed) {
            send();
        } else {
            ctx.log({ kind: "iam", message: `${servicePrincipal} dropped a delivery from ${sourceArn} to ${target.service} ${target.operation}` });
        }
    }, (error: Error) => ctx.log({ kind: "error", message: `${servicePrincipal} delivery from ${sourceArn}: ${error.stack ?? error}` }));
}
