import { randomUUID } from "crypto";
import type { SandboxContext } from "../../cloud";
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
/** aws-sdk service name → SDK v3 package and client class. */
const SDK_CLIENTS: Record<string, { pkg: string; client: string }> = {
    s3: { pkg: "@aws-sdk/client-s3", client: "S3Client" },
    dynamodb: { pkg: "@aws-sdk/client-dynamodb", client: "DynamoDBClient" },
    sns: { pkg: "@aws-sdk/client-sns", client: "SNSClient" },
    sqs: { pkg: "@aws-sdk/client-sqs", client: "SQSClient" },
    sfn: { pkg: "@aws-sdk/client-sfn", client: "SFNClient" },
    lambda: { pkg: "@aws-sdk/client-lambda", client: "LambdaClient" },
    cloudwatch: { pkg: "@aws-sdk/client-cloudwatch", client: "CloudWatchClient" },
};
const OPTIMIZED_ACTIONS = new Set(["dynamodb:putItem", "dynamodb:updateItem", "dynamodb:getItem", "dynamodb:deleteItem", "sns:publish", "sqs:sendMessage"]);

/**
 * Optimized integrations report the Java SDK v1 exception: modeled errors by their class
 * (`DynamoDB.ConditionalCheckFailedException`), others as `SQS.AmazonSQSException`, transport failures as `SdkClientException`.
 */
function optimizedErrorName(service: string, code: string, transportFailure: boolean): string {
    const prefix = OPTIMIZED_ERROR_PREFIX[service];
    if (transportFailure) {
        return `${prefix}.SdkClientException`;
    }
    if (code.endsWith("Exception")) {
        return `${prefix}.${code}`;
    }
    return MODELED_V1_ERRORS.has(code) ? `${prefix}.${code}Exception` : `${prefix}.Amazon${prefix}Exception`;
}

function pascal(text: string): string {
    return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The SDK output as Step Functions returns it: the service's fields, without the SDK's own `$metadata`. */
function withoutMetadata(output: Json): Json {
    return Object.fromEntries(Object.entries(output).filter(([key]) => key !== "$metadata"));
}

export interface TaskRunner {
    /** The function that runs a Task state's resource on its (already processed) input. */
    handlerFor(resource: string): (input: any) => Promise<any>;
    close(): void;
}

/** Lambda tasks go to the sandbox's functions, service integrations to the sandbox's own endpoint through the real SDK clients. */
export function createTaskRunner(ctx: SandboxContext): TaskRunner {
    const clients = new Map<string, any>();

    function sdkClient(service: string): { client: any; module: any } {
        const spec = SDK_CLIENTS[service];
        if (!spec) {
            throw new TaskError("States.Runtime", `The sandbox has no SDK client for service '${service}'`);
        }
        // Loaded on first use: only the services a definition calls are needed.
        const module = require(spec.pkg);
        if (!clients.has(service)) {
            clients.set(service, new module[spec.client]({
                endpoint: ctx.endpoint, region: ctx.region, forcePathStyle: true,
                credentials: { accessKeyId: "test", secretAccessKey: "test" },
            }));
        }
        return { client: clients.get(service), module };
    }

    async function callService(service: string, action: string, parameters: Json, optimized: boolean): Promise<Json> {
        const { client, module } = sdkClient(service);
        // Optimized SQS/SNS integrations send a JSON object body as its JSON text.
        const bodyField = optimized ? { sqs: "MessageBody", sns: "Message" }[service as "sqs"] : undefined;
        if (bodyField && parameters[bodyField] !== undefined && typeof parameters[bodyField] !== "string") {
            parameters = { ...parameters, [bodyField]: JSON.stringify(parameters[bodyField]) };
        }
        const Command = module[`${pascal(action)}Command`];
        if (!Command) {
            throw new TaskError("States.Runtime", `Unknown ${service} action '${action}'`);
        }
        try {
            return withoutMetadata(await client.send(new Command(parameters)));
        } catch (error: any) {
            const code: string = error.name ?? "ServiceException";
            const status = error.$metadata?.httpStatusCode ?? 500;
            const requestId = error.$metadata?.requestId ?? randomUUID();
            const name = optimized ? optimizedErrorName(service, code, error.$metadata?.httpStatusCode === undefined)
                : `${SDK_ERROR_PREFIX[service] ?? pascal(service)}.${code.endsWith("Exception") ? code : `${code}Exception`}`;
            throw new TaskError(name, `${error.message} (Service: ${SDK_ERROR_PREFIX[service] ?? pascal(service)}, Status Code: ${status}, Request ID: ${requestId})`);
        }
    }

    async function invokeFunction(functionName: string, payload: unknown): Promise<unknown> {
        try {
            return await ctx.functions.invoke(functionName, payload);
        } catch (error: any) {
            const errorType: string = error?.name ?? "Error";
            // Lambda task failures carry the function's error type as Error and its error document as Cause.
            throw new TaskError(errorType, JSON.stringify({ errorMessage: error?.message ?? String(error), errorType, trace: String(error?.stack ?? "").split("\n") }));
        }
    }

    return {
        handlerFor(resource: string): (input: any) => Promise<any> {
            if (/^arn:aws:lambda:/.test(resource)) {
                return input => invokeFunction(resource, input);
            }
            const integration = /^arn:aws:states:::([^:]+):([^.]+)(?:\.(\w+))?$/.exec(resource);
            const sdk = /^arn:aws:states:::aws-sdk:([^:]+):([^.]+)$/.exec(resource);
            if (sdk) {
                return input => callService(sdk[1], sdk[2], input, false);
            }
            if (integration && integration[1] === "lambda" && integration[2] === "invoke") {
                return async input => ({ ExecutedVersion: "$LATEST", Payload: await invokeFunction(input.FunctionName, input.Payload), StatusCode: 200 });
            }
            if (integration && OPTIMIZED_ACTIONS.has(`${integration[1]}:${integration[2]}`)) {
                return input => callService(integration[1], integration[2], input, true);
            }
            return async () => {
                throw new TaskError("States.Runtime", `The sandbox does not support the task resource '${resource}'`);
            };
        },
        close(): void {
            for (const client of clients.values()) {
                client.destroy();
            }
        },
    };
}
