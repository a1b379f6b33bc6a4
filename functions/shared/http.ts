import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { loadSettings, parsed } from "./settings";

/** The CORS origin every API response names; `*` when the function's environment leaves it out. */
export function corsSettings() {
    return { corsAllowOrigin: parsed("CORS_ALLOW_ORIGIN", raw => raw ?? "*") };
}

/** Largest request body any API accepts. */
export const MAX_BODY_BYTES = 16 * 1024;

/** A JSON response with the CORS header browsers need (API Gateway proxy routes do not add it). */
export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyResult {
    return {
        statusCode,
        headers: {
            "Content-Type": "application/json",
            "Access-Control-Allow-Origin": loadSettings(corsSettings()).corsAllowOrigin,
        },
        body: JSON.stringify(body),
    };
}

/** 400 with every problem named, the shape all APIs use for bad input. */
export function badRequest(message: string, problems: string[] = []): APIGatewayProxyResult {
    return jsonResponse(400, { message, problems });
}

export type ParsedBody = { ok: true; value: unknown } | { ok: false; response: APIGatewayProxyResult };

/**
 * The one Content-Type rule of every POST route: `application/json`, optionally with `charset=utf-8`; type, subtype,
 * parameter name and charset compared case-insensitively, whitespace around `;` allowed (RFC 9110 §8.3.1). A request
 * without the header counts as JSON, as API Gateway treats it (docs: integration-passthrough-behaviors).
 */
export function isJsonContentType(value: string | undefined): boolean {
    if (value === undefined) {
        return true;
    }
    const [mediaType, ...parameters] = value.split(";").map(part => part.trim());
    return mediaType.toLowerCase() === "application/json"
        && parameters.every(parameter => parameter === "" || /^charset=("?)utf-8\1$/i.test(parameter));
}

/** What every POST route answers to another content type (API Gateway's gateway response says the same). */
export const UNSUPPORTED_MEDIA_TYPE_MESSAGE = "Unsupported Media Type: send the body as JSON with the header Content-Type: application/json";

/** 415 with what to send instead. */
export function unsupportedMediaType(contentType: string): APIGatewayProxyResult {
    return jsonResponse(415, {
        message: UNSUPPORTED_MEDIA_TYPE_MESSAGE,
        problems: [`Content-Type: expected application/json (optionally with charset=utf-8), got ${JSON.stringify(contentType)}`],
    });
}

/** Reads a proxy event's JSON body: 415 for another content type, 413 when too large, 400 when not JSON. */
export function parseJsonBody(event: Pick<APIGatewayProxyEvent, "body" | "headers" | "isBase64Encoded">, maxBytes = MAX_BODY_BYTES): ParsedBody {
    const contentType = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === "content-type")?.[1];
    if (!isJsonContentType(contentType)) {
        return { ok: false, response: unsupportedMediaType(contentType ?? "") };
    }
    const raw = event.isBase64Encoded && event.body ? Buffer.from(event.body, "base64").toString("utf8") : event.body ?? "";
    if (Buffer.byteLength(raw) > maxBytes) {
        return { ok: false, response: jsonResponse(413, { message: `Body is larger than ${maxBytes} bytes`, problems: [] }) };
    }
    if (raw.trim() === "") {
        return { ok: false, response: badRequest("Body is empty; send a JSON object") };
    }
    try {
        return { ok: true, value: JSON.parse(raw) };
    } catch (error) {
        return { ok: false, response: badRequest("Body is not valid JSON", [(error as Error).message]) };
    }
}
