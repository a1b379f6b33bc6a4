/**
 * npm scopes the Lambda Node.js runtime provides (the SDK v3 and its dependencies): archives never pack them and
 * the sandbox links them in. https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html#nodejs-sdk-included
 */
export const RUNTIME_PROVIDED_SCOPES = ["@aws-sdk", "@smithy", "@aws-crypto"];
