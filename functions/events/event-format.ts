import { createHash } from "crypto";
import { jsonObjectProblems, JsonObjectRules, stringProblem } from "../shared/message-schema";
import { decodeS3Key } from "../shared/s3-keys";

/** Longest `type` and `subject` of an API event. */
export const MAX_TYPE_LENGTH = 128;
export const MAX_SUBJECT_LENGTH = 512;
/** Longest eventId the table takes from a publisher (the API makes UUIDs; GET /events/{eventId} reads up to 256). */
export const MAX_EVENT_ID_LENGTH = 256;
/** Bounds of an API event's `payload`: what the events table stores as one item, with room for the record's other fields. */
export const PAYLOAD_RULES: JsonObjectRules = { maxDepth: 5, maxEntries: 50, maxKeyLength: 128, maxStringLength: 4096, maxBytes: 8192 };

/** Where an event entered the pipeline. */
export type EventSource = "s3" | "eventbridge" | "api";

/** The one record shape every source is normalised into (stored in the events table). */
export interface NormalisedEvent {
    eventId: string;
    source: EventSource;
    type: string;
    subject: string;
    payload: Record<string, unknown>;
    receivedAt: string;
}

/** What `POST /events` and `scripts/trigger-event.ts` publish to the topic. */
export interface ApiEventMessage {
    kind: "api-event";
    eventId: string;
    type: string;
    subject: string;
    payload: Record<string, unknown>;
    publishedAt: string;
}

/** Type stored for an uploaded object, whichever path (S3 notification or EventBridge) delivered it. */
export const OBJECT_CREATED_TYPE = "s3:ObjectCreated";

export type Normalised =
    | { ok: true; events: NormalisedEvent[]; ignored?: string }
    | { ok: false; reason: string };

/**
 * The id of an uploaded object's creation: the S3 notification and the EventBridge event of one upload
 * carry the same bucket, key and version id (sequencer when unversioned), so both paths collapse to one record.
 */
export function objectEventId(bucket: string, key: string, versionId: string | undefined, sequencer: string | undefined): string {
    const identity = [bucket, key, versionId ? `v:${versionId}` : `s:${sequencer ?? ""}`].join("\n");
    return `s3-${createHash("sha256").update(identity).digest("hex").slice(0, 32)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
    return typeof value === "string" && value !== "" ? value : undefined;
}

/** A notification key decoded, or as it came when its escapes are malformed (the message is not S3's own). */
function decodeNotificationKey(key: string): string {
    try {
        return decodeS3Key(key);
    } catch {
        return key;
    }
}

interface ObjectCreatedFields {
    source: "s3" | "eventbridge";
    bucket: string;
    key: string;
    versionId?: string;
    sequencer?: string;
    size: unknown;
    eTag?: string;
    eventName?: string;
    eventTime?: string;
    receivedAt: string;
}

/** The record of one created object, the same whichever route (S3 notification or EventBridge) told us of it. */
function objectCreatedEvent(fields: ObjectCreatedFields): NormalisedEvent {
    const { bucket, key, versionId } = fields;
    return {
        eventId: objectEventId(bucket, key, versionId, fields.sequencer),
        source: fields.source,
        type: OBJECT_CREATED_TYPE,
        subject: `s3://${bucket}/${key}`,
        payload: {
            bucket, key, versionId: versionId ?? null, size: typeof fields.size === "number" ? fields.size : null,
            eTag: fields.eTag ?? null, eventName: fields.eventName ?? null, eventTime: fields.eventTime ?? null,
        },
        receivedAt: fields.receivedAt,
    };
}

function fromS3Notification(records: unknown[], receivedAt: string): Normalised {
    const events: NormalisedEvent[] = [];
    for (const [index, record] of records.entries()) {
        const s3 = isRecord(record) && isRecord(record.s3) ? record.s3 : undefined;
        const bucket = s3 && isRecord(s3.bucket) ? text(s3.bucket.name) : undefined;
        const object = s3 && isRecord(s3.object) ? s3.object : undefined;
        const rawKey = object ? text(object.key) : undefined;
        if (!isRecord(record) || !bucket || !object || !rawKey) {
            return { ok: false, reason: `S3 notification record ${index} lacks s3.bucket.name or s3.object.key` };
        }
        events.push(objectCreatedEvent({
            source: "s3", bucket, key: decodeNotificationKey(rawKey), versionId: text(object.versionId), sequencer: text(object.sequencer),
            size: object.size, eTag: text(object.eTag), eventName: text(record.eventName), eventTime: text(record.eventTime), receivedAt,
        }));
    }
    return { ok: true, events };
}

function fromEventBridge(message: Record<string, unknown>, receivedAt: string): Normalised {
    const detail = isRecord(message.detail) ? message.detail : undefined;
    const bucket = detail && isRecord(detail.bucket) ? text(detail.bucket.name) : undefined;
    const object = detail && isRecord(detail.object) ? detail.object : undefined;
    const key = object ? text(object.key) : undefined;
    if (!detail || !bucket || !object || !key) {
        return { ok: false, reason: "EventBridge Object Created event lacks detail.bucket.name or detail.object.key" };
    }
    return {
        ok: true,
        events: [objectCreatedEvent({
            source: "eventbridge", bucket, key, versionId: text(object["version-id"]), sequencer: text(object.sequencer),
            size: object.size, eTag: text(object.etag), eventName: text(detail.reason), eventTime: text(message.time), receivedAt,
        })],
    };
}

/** The API's own rules again: another publisher to the topic (a script, a console user) may send what POST /events refuses. */
function apiEventProblems(fields: { eventId: string; type: string; subject?: string }, payload: unknown): string[] {
    const limits = { eventId: MAX_EVENT_ID_LENGTH, type: MAX_TYPE_LENGTH, subject: MAX_SUBJECT_LENGTH };
    const textProblems = Object.entries(fields).map(([name, value]) => {
        const problem = value === undefined ? undefined : stringProblem(value, limits[name as keyof typeof limits]);
        return problem && `${name} ${problem}`;
    });
    const payloadProblems = isRecord(payload) ? jsonObjectProblems(payload, PAYLOAD_RULES).map(problem => `payload: ${problem}`) : [];
    return [...textProblems, ...payloadProblems].filter((problem): problem is string => !!problem);
}

function fromApi(message: Record<string, unknown>, receivedAt: string): Normalised {
    const eventId = text(message.eventId);
    const type = text(message.type);
    if (!eventId || !type) {
        return { ok: false, reason: "API event lacks eventId or type" };
    }
    const problems = apiEventProblems({ eventId, type, subject: text(message.subject) }, message.payload);
    if (problems.length) {
        return { ok: false, reason: `API event ${eventId} cannot be stored: ${problems.join("; ")}` };
    }
    return {
        ok: true,
        events: [{
            eventId,
            source: "api",
            type,
            subject: text(message.subject) ?? type,
            payload: isRecord(message.payload) ? message.payload : {},
            receivedAt,
        }],
    };
}

/**
 * Normalises one queue message body (raw SNS delivery) into records. Never throws: a body that is not
 * JSON or not a known event comes back as `ok: false` with the reason, so the caller can fail just that record.
 */
export function normaliseMessage(body: string, receivedAt: string): Normalised {
    let message: unknown;
    try {
        message = JSON.parse(body);
    } catch (error) {
        return { ok: false, reason: `body is not JSON: ${(error as Error).message}` };
    }
    if (!isRecord(message)) {
        return { ok: false, reason: "body is not a JSON object" };
    }
    if (message.Event === "s3:TestEvent") {
        return { ok: true, events: [], ignored: `s3:TestEvent for bucket ${String(message.Bucket)}` };
    }
    if (Array.isArray(message.Records)) {
        return fromS3Notification(message.Records, receivedAt);
    }
    if (message.source === "aws.s3" && message["detail-type"] === "Object Created") {
        return fromEventBridge(message, receivedAt);
    }
    if (message.kind === "api-event") {
        return fromApi(message, receivedAt);
    }
    return { ok: false, reason: "body is not an S3 notification, an EventBridge Object Created event or an API event" };
}

/** TTL attribute value: epoch seconds `days` after `now`. */
export function expiresAt(now: Date, days: number): number {
    return Math.floor(now.getTime() / 1000) + Math.round(days * 24 * 60 * 60);
}
