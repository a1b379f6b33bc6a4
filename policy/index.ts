import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

// `pulumi preview --policy-pack policy` (and pulumi/actions `policyPacks: policy`) loads this file.
new PolicyPack("serverless-pipelines", {
    description: "Secure defaults of serverless-pipelines: private encrypted TLS-only buckets, encrypted queues/tables, encrypted TLS-only topics, DLQs, least-privilege IAM, current runtimes, bounded logs.",
    enforcementLevel: "mandatory",
    policies,
});
