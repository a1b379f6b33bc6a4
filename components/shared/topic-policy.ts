import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** IAM condition block: operator → condition key → value(s), e.g. `{ ArnLike: { "aws:SourceArn": bucketArn } }`. */
export type PolicyCondition = Record<string, Record<string, pulumi.Input<string> | pulumi.Input<string>[]>>;

/** One principal that may publish to a topic. */
export interface TopicPublisher {
    sid: string;
    /** An AWS service (`{ Service: "cloudwatch.amazonaws.com" }`) or an IAM role (`{ AWS: roleArn }`). */
    principal: { Service: string } | { AWS: pulumi.Input<string> };
    /** Conditions that scope the grant, e.g. to one bucket or alarm. Default: none. */
    condition?: PolicyCondition;
}

export interface PublishersOnlyArgs {
    topicArn: pulumi.Input<string>;
    publishers: TopicPublisher[];
}

/**
 * A topic policy that replaces SNS's default one (every principal of the account may publish, subscribe
 * and administer): only the named publishers may publish, and a publish not made over TLS is denied.
 * Same-account administrators keep their IAM permissions, which suffice without a resource grant.
 */
export function publishersOnlyTopicPolicy(name: string, args: PublishersOnlyArgs, opts?: pulumi.CustomResourceOptions): aws.sns.TopicPolicy {
    const document = pulumi.output({ topicArn: args.topicArn, publishers: args.publishers }).apply(({ topicArn, publishers }) => JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            ...publishers.map(publisher => ({
                Sid: publisher.sid,
                Effect: "Allow",
                Principal: publisher.principal,
                Action: "sns:Publish",
                Resource: topicArn,
                ...(publisher.condition ? { Condition: publisher.condition } : {}),
            })),
            {
                // https://docs.aws.amazon.com/sns/latest/dg/sns-security-best-practices.html ("Enforce encryption of data in transit")
                Sid: "DenyPublishWithoutTls",
                Effect: "Deny",
                Principal: "*",
                Action: "sns:Publish",
                Resource: topicArn,
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    }));
    return new aws.sns.TopicPolicy(name, { arn: args.topicArn, policy: document }, opts);
}
