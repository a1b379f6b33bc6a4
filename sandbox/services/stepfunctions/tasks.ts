import { randomUUID } from "crypto";
import type { SandboxContext } from "../../cloud";
import { AccessDeniedError } from "../../iam/authorizer";
import type { Principal } from "../../iam/identity";
import { asAwsError } from "../../protocols/wire";
import type { ProviderRegistry } from "../../router";
import type { Json } from "./model";

/** A task failure with the error name Step Functions would report, so Retry/Catch `ErrorEquals` match. */
export class TaskError extends Error {
    constructor(name: string, cause: string) {
        super(cause);
        this.name = name;
    }
}

/** Service names as Step Functions spells them in aws-sdk integration errors (`<Service>.<Code>Exception`). */
const SDK_ERROR_PREFIX: Record<string, string> = {
    s3: "S3", dynamodb: "DynamoDb", sns: "Sns", sqs: "Sqs", sfn: "Sfn", lambda: "Lambda", cloudwatch: "CloudWatch", eventbridge: "EventBridge",
};
/** Optimized integrations keep the service's own prefix and error code. */
const OPTIMIZED_ERROR_PREFIX: Record<string, string> = { dynamodb: "DynamoDB", sns: "SNS", sqs: "SQS" };
/** SQS error codes the v1 SDK models as their own exception classes. */
const MODELED_V1_ERRORS = new Set(["QueueDoesNotExist", "InvalidMessageContents", "UnsupportedOperation", "InvalidAttributeName", "InvalidBatchEntryId", "RequestThrottled", "KmsAccessDenied"]);
/** aws-sdk service names whose signing name differs (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html). */
const SIGNING_NAMES: Record<string, string> = { sfn: "states", eventbridge: "events", cloudwatch: "monitoring" };
const OPTIMIZED_ACTIONS = new Set(["dynamodb:putItem", "dynamodb:updateItem", "dynamodb:getItem", "dynamodb:deleteItem", "sns:publish", "sqs:sendMessage"]);

/**
 * Optimized integrations report the Java SDK v1 exception: modeled errors by their class
 * (`DynamoDB.ConditionalCheckFailedException`), others as `SQS.AmazonSQSException`.
 */
function optimizedErrorName(service: string, code: string): string {
    const prefix = OPTIMIZED_ERROR_PREFIX[service];
    if (code.endsWith("Exception")) {
        return `${prefix}.${code}`;
    }
    return MODELED_V1_ERRORS.has(code) ? `${prefix}.${code}Exception` : `${prefix}.Amazon${prefix}Exception`;
}

function pascal(text: string): string {
    return text.charAt(0).toUpperCase() + text.slice(1);
}

export interface TaskRunner {
    /** The function that runs a Task state's resource on its (already processed) input, as the state machine's role. */
    handlerFor(resource: string, machine: { roleArn: string; name: string }): (input: any) => Promise<any>;
    close(): void;
}

/** Lambda tasks go to the sandbox's functions, service integrations to the providers in process (ProviderRegistry.call), never over HTTP. */
export function createTaskRunner(ctx: SandboxContext, providers: ProviderRegistry): TaskRunner {
    async function callService(principal: Principal, service: string, action: string, parameters: Json, optimized: boolean): Promise<Json> {
        // Optimized SQS/SNS integrations send a JSON object body as its JSON text.
        const bodyField = optimized ? { sqs: "MessageBody", sns: "Message" }[service as "sqs"] : undefined;
        if (bodyField && parameters[bodyField] !== undefined && typeof parameters[bodyField] !== "string") {
            parameters = { ...parameters, [bodyField]: JSON.stringify(parameters[bodyField]) };
        }
        try {
            return await providers.call(SIGNING_NAMES[service] ?? service, pascal(action), parameters, { principal });
        } catch (error) {
            const failure = asAwsError(error);
            if (failure.code === "NotImplemented") {
                throw new TaskError("States.Runtime", failure.message);
            }
            const name = optimized ? optimizedErrorName(service, failure.code)
                : `${SDK_ERROR_PREFIX[service] ?? pascal(service)}.${failure.code.endsWith("Exception") ? failure.code : `${failure.code}Exception`}`;
            throw new TaskError(name, `${failure.message} (Service: ${SDK_ERROR_PREFIX[service] ?? pascal(service)}, Status Code: ${failure.status}, Request ID: ${randomUUID()})`);
        }
    }

    async function invokeFunction(principal: Principal, functionName: string, payload: unknown): Promise<unknown> {
        try {
            await providers.authorizer?.authorize(principal, "lambda", "Invoke", { FunctionName: functionName });
        } catch (error) {
            if (error instanceof AccessDeniedError) {
                // The Java SDK v1 models no AccessDeniedException for Lambda: Step Functions names its base exception.
                throw new TaskError("Lambda.AWSLambdaException", `${error.message} (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; Request ID: ${randomUUID()})`);
            }
            throw error;
        }
        try {
            return await ctx.functions.invoke(functionName, payload);
        } catch (error: any) {
            const errorType: string = error?.name ?? "Error";
            // Lambda task failures carry the function's error type as Error and its error document as Cause.
            throw new TaskError(errorType, JSON.stringify({ errorMessage: error?.message ?? String(error), errorType, trace: String(error?.stack ?? "").split("\n") }));
        }
    }

    return {
        handlerFor(resource: string, machine: { roleArn: string; name: string }): (input: any) => Promise<any> {
            // Step Functions runs every task with the state machine's role (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html).
            const principal = ctx.identities.actingAs(machine.roleArn, machine.name);
            if (/^arn:aws:lambda:/.test(resource)) {
                return input => invokeFunction(principal, resource, input);
            }
            const integration = /^arn:aws:states:::([^:]+):([^.]+)(?:\.(\w+))?$/.exec(resource);
            const sdk = /^arn:aws:states:::aws-sdk:([^:]+):([^.]+)$/.exec(resource);
            if (sdk) {
                return input => callService(principal, sdk[1], sdk[2], input, false);
            }
            if (integration && integration[1] === "lambda" && integration[2] === "invoke") {
                return async input => ({ ExecutedVersion: "$LATEST", Payload: await invokeFunction(principal, input.FunctionName, input.Payload), StatusCode: 200 });
            }
            if (integration && OPTIMIZED_ACTIONS.has(`${integration[1]}:${integration[2]}`)) {
                return input => callService(principal, integration[1], integration[2], input, true);
            }
            return async () => {
                throw new TaskError("States.Runtime", `The sandbox does not support the task resource '${resource}'`);
            };
        },
        close(): void {
            // Nothing held: integrations call the providers directly.
        },
    };
}
