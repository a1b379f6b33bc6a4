import { NormalizedSchema } from "@smithy/core/schema";

/** A static schema as the SDK v3 clients export them (`Foo$`): a tuple whose first element is its kind. */
type StaticSchema = readonly unknown[];

export interface ErrorModel {
    /** Shape name, what JSON protocols put in `__type` and SDKs name the exception. */
    name: string;
    /** HTTP status from the model's `httpError` (400 when the model gives none). */
    status: number;
    /** The query protocol's code and status (`awsQueryError`), e.g. `AWS.SimpleQueueService.NonExistentQueue`. */
    queryCode?: string;
    queryStatus?: number;
    fault: "client" | "server";
}

export interface OperationModel {
    name: string;
    input: NormalizedSchema;
    output: NormalizedSchema;
    /** restXml/restJson: method, URI pattern and success status. */
    http?: [string, string, number];
}

/** A service model derived from the schemas its SDK v3 client ships (AWS's Smithy models), not written by hand. */
export interface ServiceModel {
    namespace: string;
    operations: Map<string, OperationModel>;
    errors: Map<string, ErrorModel>;
}

const OPERATION = 9;
const ERROR = -3;

/** Reads the operation and error schemas a client package exports (`require("@aws-sdk/client-sqs")`). */
export function modelOf(clientModule: Record<string, unknown>): ServiceModel {
    const operations = new Map<string, OperationModel>();
    const errors = new Map<string, ErrorModel>();
    let namespace = "";
    for (const [exported, value] of Object.entries(clientModule)) {
        if (!exported.endsWith("$") || !Array.isArray(value)) {
            continue;
        }
        const schema = value as StaticSchema;
        if (schema[0] === OPERATION) {
            const [, ns, name, traits, input, output] = schema as [number, string, string, Record<string, any> | 0, () => StaticSchema, () => StaticSchema];
            namespace = ns;
            operations.set(name, {
                name, input: NormalizedSchema.of(input() as never), output: NormalizedSchema.of(output() as never),
                http: traits ? traits.http : undefined,
            });
        } else if (schema[0] === ERROR && !String(schema[1]).startsWith("smithy.ts.sdk.synthetic")) {
            const [, , name, traits] = schema as [number, string, string, Record<string, any>];
            errors.set(name, {
                name, status: traits.httpError ?? (traits.error === "server" ? 500 : 400), fault: traits.error === "server" ? "server" : "client",
                queryCode: traits.awsQueryError?.[0], queryStatus: traits.awsQueryError?.[1],
            });
        }
    }
    return { namespace, operations, errors };
}

/** The error model a provider's error names, or a common error (InvalidAction, MissingParameter, AccessDenied...) as thrown. */
export function errorModel(model: ServiceModel, code: string, status: number): ErrorModel {
    return model.errors.get(code) ?? [...model.errors.values()].find(error => error.queryCode === code)
        ?? { name: code, status, fault: status >= 500 ? "server" : "client" };
}
