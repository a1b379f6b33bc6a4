import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";

/** Largest request body any API accepts. */
export const MAX_BODY_BYTES = 16 * 1024;

/** A JSON response with the CORS header browsers need (API Gateway proxy routes do not add it). */
export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyResult {
    return {
        statusCode,
        headers: {
            "Content-Type": "application/json",
            "Access-Control-Allow-Origin": process.env.CORS_ALLOW_ORIGIN ?? "*",
        },
        body: JSON.stringify(body),
    };
}

/** 400 with every problem named, the shape all APIs use for bad input. */
export function badRequest(message: string, problems: string[] = []): APIGatewayProxyResult {
    return jsonResponse(400, { message, problems });
}

export type ParsedBody = { ok: true; value: unknown } | { ok: false; response: APIGatewayProxyResult };

/** Reads a proxy event's JSON body: 415 for another content type, 413 when too large, 400 when not JSON. */
export function parseJsonBody(event: Pick<APIGatewayProxyEvent, "body" | "headers" | "isBase64Encoded">, maxBytes = MAX_BODY_BYTES): ParsedBody {
    const contentType = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === "content-type")?.[1];
    if (contentType && !/^application\/json\b/i.test(contentType)) {
        return { ok: false, response: jsonResponse(415, { message: `Content-Type must be application/json, got ${contentType}`, problems: [] }) };
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
