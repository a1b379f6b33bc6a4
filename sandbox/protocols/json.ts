import { JsonShapeDeserializer, JsonShapeSerializer } from "@aws-sdk/core/protocols";
import { AwsError } from "../cloud";
import { errorModel, ServiceModel } from "./model";
import type { OperationCall, ProtocolCodec, WireRequest, WireResponse } from "./wire";

// Timestamps travel as epoch seconds in AWS JSON 1.0/1.1 (https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html).
const SETTINGS = { timestampFormat: { useTrait: true, default: 7 as const }, jsonName: false };

/** AWS JSON 1.0 / 1.1: `X-Amz-Target: <Prefix>.<Operation>`, JSON bodies, errors as `__type`. */
export function awsJsonCodec(version: "1.0" | "1.1"): ProtocolCodec {
    const contentType = `application/x-amz-json-${version}`;
    return {
        decode(request: WireRequest, model: ServiceModel): OperationCall {
            const operation = String(request.headers["x-amz-target"] ?? "").split(".").pop() ?? "";
            const schema = model.operations.get(operation);
            if (!schema) {
                throw new AwsError("UnknownOperationException", `Unknown operation ${operation}`);
            }
            let parsed: unknown;
            try {
                parsed = JSON.parse(request.body.toString("utf8") || "{}");
            } catch {
                throw new AwsError("SerializationException", "Start of structure or map found where not expected.");
            }
            return { operation, input: new JsonShapeDeserializer(SETTINGS).readObject(schema.input, parsed as never) ?? {} };
        },
        encodeResult(call: OperationCall, output: Record<string, any>, model: ServiceModel): WireResponse {
            const schema = model.operations.get(call.operation)!.output;
            let body = "{}";
            if (schema.isStructSchema()) {
                const serializer = new JsonShapeSerializer(SETTINGS);
                serializer.write(schema, output);
                body = serializer.flush();
            }
            return { status: 200, headers: { "content-type": contentType }, body };
        },
        encodeError(_call: OperationCall | undefined, error: AwsError, model: ServiceModel): WireResponse {
            const modelled = errorModel(model, error.code, error.status);
            // awsQueryCompatible services (SQS) also name the query protocol's code, which SDKs report as the error code.
            const queryError: Record<string, string> = modelled.queryCode ? { "x-amzn-query-error": `${modelled.queryCode};${modelled.fault === "client" ? "Sender" : "Receiver"}` } : {};
            return {
                status: modelled.status,
                headers: { "content-type": contentType, ...queryError },
                body: JSON.stringify({ __type: `${model.namespace}#${modelled.name}`, message: error.message }),
            };
        },
    };
}
