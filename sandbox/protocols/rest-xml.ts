import { XmlShapeSerializer } from "@aws-sdk/core/protocols";
import type { NormalizedSchema } from "@smithy/core/schema";
import { requestId, xmlEscape } from "../cloud";
import type { WireResponse } from "./wire";

/** An output shape's XML payload as its service model lays it out (element names, flattened lists, timestamps). */
export function xmlPayload(schema: NormalizedSchema | readonly unknown[], value: Record<string, unknown>, xmlNamespace: string): string {
    const serializer = new XmlShapeSerializer({ timestampFormat: { useTrait: true, default: 5 }, xmlNamespace, serviceNamespace: "" });
    serializer.write(schema as never, value);
    return `<?xml version="1.0" encoding="UTF-8"?>\n${serializer.flush()}`;
}

/** A restXml error document (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#RESTErrorResponses); HEAD answers carry no body. */
export function xmlError(method: string, status: number, code: string, message: string, details: Record<string, string> = {}): WireResponse {
    if (method === "HEAD") {
        return { status, headers: {} };
    }
    const extra = Object.entries(details).map(([name, value]) => `<${name}>${xmlEscape(value)}</${name}>`).join("");
    return {
        status, headers: { "content-type": "application/xml" },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>${extra}<RequestId>${requestId()}</RequestId></Error>`,
    };
}
