import { XmlShapeSerializer } from "@aws-sdk/core/protocols";
import { NormalizedSchema } from "@smithy/core/schema";
import { AwsError, requestId, xmlEscape } from "../cloud";
import { errorModel, ServiceModel } from "./model";
import type { OperationCall, ProtocolCodec, WireRequest, WireResponse } from "./wire";

/** Whether any form key is `key` itself or lies below it. */
function present(form: URLSearchParams, key: string): boolean {
    for (const name of form.keys()) {
        if (name === key || name.startsWith(`${key}.`)) {
            return true;
        }
    }
    return false;
}

/**
 * Reads one value of the awsQuery form encoding at `key`, the inverse of what SDKs write
 * (https://smithy.io/2.0/aws/protocols/aws-query-protocol.html#request-serialization): lists as
 * `key.member.N` or, flattened, `key.N`; maps as `key.entry.N.key/value` or, flattened, `key.N.<Name>/<Value>`.
 */
function readForm(schema: NormalizedSchema, form: URLSearchParams, key: string): unknown {
    if (schema.isStructSchema()) {
        const struct: Record<string, unknown> = {};
        for (const [name, member] of schema.structIterator()) {
            const memberKey = `${key ? `${key}.` : ""}${member.getMergedTraits().xmlName ?? name}`;
            if (present(form, memberKey)) {
                struct[name] = readForm(member, form, memberKey);
            }
        }
        return struct;
    }
    if (schema.isListSchema()) {
        const item = schema.getValueSchema();
        const flat = schema.getMergedTraits().xmlFlattened;
        const items: unknown[] = [];
        for (let index = 1; ; index++) {
            const itemKey = flat ? `${key}.${index}` : `${key}.${item.getMergedTraits().xmlName ?? "member"}.${index}`;
            if (!present(form, itemKey)) {
                return items;
            }
            items.push(readForm(item, form, itemKey));
        }
    }
    if (schema.isMapSchema()) {
        const keyName = schema.getKeySchema().getMergedTraits().xmlName ?? "key";
        const valueName = schema.getValueSchema().getMergedTraits().xmlName ?? "value";
        const entryKey = (index: number) => (schema.getMergedTraits().xmlFlattened ? `${key}.${index}` : `${key}.entry.${index}`);
        const map: Record<string, unknown> = {};
        for (let index = 1; form.has(`${entryKey(index)}.${keyName}`); index++) {
            map[form.get(`${entryKey(index)}.${keyName}`)!] = readForm(schema.getValueSchema(), form, `${entryKey(index)}.${valueName}`);
        }
        return map;
    }
    const text = form.get(key) ?? "";
    if (schema.isNumericSchema()) {
        const number = Number(text);
        if (text === "" || Number.isNaN(number)) {
            throw new AwsError("InvalidParameterValue", `Value ${text} for parameter ${key} is invalid. Reason: must be a number.`);
        }
        return number;
    }
    if (schema.isBooleanSchema()) {
        return text === "true";
    }
    if (schema.isBlobSchema()) {
        return Buffer.from(text, "base64");
    }
    if (schema.isTimestampSchema()) {
        return new Date(/^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : text);
    }
    return text;
}

/** The members of an XML document's root element (the result wrapper is the operation's, not the shape's). */
function innerXml(document: string): string {
    const open = document.indexOf(">");
    return document[open - 1] === "/" ? "" : document.slice(open + 1, document.lastIndexOf("</"));
}

/** awsQuery: form-encoded `Action` and `Version`, XML answers wrapped in `<Op>Response`/`<Op>Result` (SQS, SNS, STS). */
export function awsQueryCodec(xmlNamespace: string): ProtocolCodec {
    return {
        decode(request: WireRequest, model: ServiceModel): OperationCall {
            const form = new URLSearchParams(request.body.length > 0 ? request.body.toString("utf8") : request.url.search);
            const operation = form.get("Action") ?? "";
            const schema = model.operations.get(operation);
            if (!schema) {
                throw new AwsError("InvalidAction", `The action ${operation} is not valid for this web service.`);
            }
            return { operation, input: readForm(schema.input, form, "") as Record<string, any> };
        },
        encodeResult(call: OperationCall, output: Record<string, any>, model: ServiceModel): WireResponse {
            const schema = model.operations.get(call.operation)!.output;
            let result = "";
            if (schema.isStructSchema()) {
                const serializer = new XmlShapeSerializer({ timestampFormat: { useTrait: true, default: 5 }, xmlNamespace, serviceNamespace: model.namespace });
                serializer.write(schema, output);
                result = innerXml(String(serializer.flush()));
            }
            const op = call.operation;
            return {
                status: 200, headers: { "content-type": "text/xml" },
                body: `<?xml version="1.0"?>\n<${op}Response xmlns="${xmlNamespace}"><${op}Result>${result}</${op}Result><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></${op}Response>`,
            };
        },
        encodeError(_call: OperationCall | undefined, error: AwsError, model: ServiceModel): WireResponse {
            const modelled = errorModel(model, error.code, error.status);
            return {
                status: modelled.queryStatus ?? modelled.status, headers: { "content-type": "text/xml" },
                body: `<?xml version="1.0"?>\n<ErrorResponse xmlns="${xmlNamespace}"><Error><Type>${modelled.fault === "client" ? "Sender" : "Receiver"}</Type><Code>${modelled.queryCode ?? modelled.name}</Code><Message>${xmlEscape(error.message)}</Message><Detail/></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`,
            };
        },
    };
}
