import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PlatformOptions } from "./components/shared/platform";

// Stack config is read here and only here; components receive typed args.
const config = new pulumi.Config();
const stack = pulumi.getStack();
const local = config.require("target") === "local";

const platform: PlatformOptions = {
    namePrefix: config.get("namePrefix") || `sp-${stack}`,
    local,
    // Bucket names are global on AWS; the account id keeps two accounts' stacks apart.
    globalNameSuffix: local ? undefined : aws.getCallerIdentityOutput().accountId,
    logRetentionInDays: config.requireNumber("logRetentionDays"),
    protectData: config.requireBoolean("protectData"),
};
/** Path-style API URLs on LocalStack and the sandbox; stage invoke URLs on AWS. */
const localEndpoint = local ? config.require("localEndpoint") : undefined;
