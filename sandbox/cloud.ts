import type * as http from "http";
import { createHash, randomUUID } from "crypto";
import type { Authorizer } from "./iam/authorizer";
import type { Identities } from "./iam/identity";
import type { RecordedResource } from "./mock-cloud";

export interface SandboxLog { (event: { kind: "invoke" | "execution" | "http" | "event" | "iam" | "error"; message: string }): void }
export interface FunctionRuntime {
    /** Invoke by name or ARN. sync: resolves with the handler's result or rejects with the error (name/message kept). */
    invoke(functionNameOrArn: string, payload: unknown): Promise<unknown>;
    /** Event invocation: retried twice on error like Lambda; never rejects. */
    invokeAsync(functionNameOrArn: string, payload: unknown): void;
}
export interface SandboxContext {
    endpoint: string; region: string; accountId: string;
    resources: RecordedResource[];       // from the synthesis
    functions: FunctionRuntime;
    /** The program's roles and the access keys that act as them. */
    identities: Identities;
    /** Authorizes calls made in process and deliveries; none: nothing is enforced. */
    authorizer?: Authorizer;
    log: SandboxLog;
}
/** A wire-protocol service; returns false when the request is not its own. */
export interface SandboxService {
    handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<boolean>;
    close?(): Promise<void>;
}

/** The recorded resources of one Pulumi type. */
export function resourcesOfType(resources: RecordedResource[], type: string): RecordedResource[] {
    return resources.filter(resource => resource.type === type);
}

export function md5Hex(data: string | Buffer): string {
    return createHash("md5").update(data).digest("hex");
}

export function requestId(): string {
    return randomUUID();
}

/** Percent-decodes one part of a URL; a malformed escape is the client's error, answered as S3 answers it. */
export function decodeUriPart(part: string): string {
    try {
        return decodeURIComponent(part);
    } catch {
        throw new AwsError("InvalidURI", "Couldn't parse the specified URI.");
    }
}

export function xmlEscape(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, contentType = "application/x-amz-json-1.0", headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text), "x-amzn-requestid": requestId(), ...headers });
    res.end(text);
}

export function sendXml(res: http.ServerResponse, status: number, xml: string, headers: Record<string, string> = {}): void {
    const text = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
    res.writeHead(status, { "content-type": "application/xml", "content-length": Buffer.byteLength(text), "x-amz-request-id": requestId(), ...headers });
    res.end(text);
}

/** An error a service answers with: the AWS error code, HTTP status and message. */
export class AwsError extends Error {
    constructor(public readonly code: string, message: string, public readonly status = 400) {
        super(message);
        this.name = code;
    }
}

type PatternValue = string | number | boolean | null | Record<string, unknown>;

function matchesValue(pattern: PatternValue, actual: unknown): boolean {
    if (pattern === null || typeof pattern !== "object") {
        return actual === pattern;
    }
    if ("prefix" in pattern) {
        return typeof actual === "string" && actual.startsWith(String(pattern.prefix));
    }
    if ("suffix" in pattern) {
        return typeof actual === "string" && actual.endsWith(String(pattern.suffix));
    }
    if ("anything-but" in pattern) {
        const excluded = pattern["anything-but"];
        return actual !== undefined && !(Array.isArray(excluded) ? excluded : [excluded]).some(value => matchesValue(value as PatternValue, actual));
    }
    if ("numeric" in pattern) {
        const conditions = pattern.numeric as (string | number)[];
        const comparisons: Record<string, (a: number, b: number) => boolean> = { "=": (a, b) => a === b, "<": (a, b) => a < b, "<=": (a, b) => a <= b, ">": (a, b) => a > b, ">=": (a, b) => a >= b };
        for (let i = 0; i < conditions.length; i += 2) {
            if (typeof actual !== "number" || !comparisons[conditions[i] as string]?.(actual, Number(conditions[i + 1]))) {
                return false;
            }
        }
        return true;
    }
    return false;
}

/**
 * EventBridge event patterns and SNS filter policies (same grammar): every key must match; a leaf is a
 * list of allowed values (exact, prefix, suffix, anything-but, numeric, exists).
 */
export function matchesPattern(pattern: Record<string, unknown>, subject: Record<string, unknown> | undefined): boolean {
    return Object.entries(pattern).every(([key, expected]) => {
        const actual = subject?.[key];
        if (Array.isArray(expected)) {
            const values = Array.isArray(actual) ? actual : [actual];
            return expected.some(option => {
                if (option && typeof option === "object" && "exists" in option) {
                    return (actual !== undefined) === (option as { exists: boolean }).exists;
                }
                return values.some(value => matchesValue(option as PatternValue, value));
            });
        }
        if (expected && typeof expected === "object") {
            return actual !== null && typeof actual === "object" && matchesPattern(expected as Record<string, unknown>, actual as Record<string, unknown>);
        }
        return actual === expected;
    });
}
