import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { randomUUID } from "crypto";
import { object, optional, record, size, string, Struct, unknown } from "superstruct";
import { badRequest, jsonResponse, parseJsonBody } from "../shared/http";
import { check, Checked } from "../shared/validation";
import { ApiEventMessage } from "./event-format";

/** Longest accepted `type` and `subject`. */
export const MAX_TYPE_LENGTH = 128;
export const MAX_SUBJECT_LENGTH = 512;

/** JSON Schema of `POST /events`, for API Gateway's validator (the handler checks the same rules). */
export const EVENT_REQUEST_SCHEMA = {
    $schema: "http://json-schema.org/draft-04/schema#",
    title: "PublishEvent",
    type: "object",
    required: ["type"],
    additionalProperties: false,
    properties: {
        type: { type: "string", minLength: 1, maxLength: MAX_TYPE_LENGTH },
        subject: { type: "string", minLength: 1, maxLength: MAX_SUBJECT_LENGTH },
        payload: { type: "object" },
    },
};

/**
 * `check`, except that a body holding an object with its own `toString`/`valueOf` key (which makes superstruct's
 * failure message throw) is reported as a 400 problem instead of escaping as a 500.
 */
function checkEvent<T, S>(value: unknown, schema: Struct<T, S>): Checked<T> {
    try {
        return check(value, schema);
    } catch (error) {
        return { ok: false, problems: [`body: cannot be validated (${(error as Error).message}); do not use toString or valueOf as keys`] };
    }
}

/**
 * `POST /events`: validates `{type, subject?, payload?}` and publishes it to the event topic; 202 with the
 * eventId. Bad input gets 400/413/415 naming the problem and nothing is published.
 */
export function eventApiHandler(): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
    const topicArn = process.env.EVENT_TOPIC_ARN ?? "";
    const sns = new SNSClient({});
    const schema = object({
        type: size(string(), 1, MAX_TYPE_LENGTH),
        subject: optional(size(string(), 1, MAX_SUBJECT_LENGTH)),
        payload: optional(record(string(), unknown())),
    });

    return async event => {
        const parsed = parseJsonBody(event);
        if (!parsed.ok) {
            return parsed.response;
        }
        const checked = checkEvent(parsed.value, schema);
        if (!checked.ok) {
            return badRequest("Invalid event", checked.problems);
        }
        const message: ApiEventMessage = {
            kind: "api-event",
            eventId: randomUUID(),
            type: checked.value.type,
            subject: checked.value.subject ?? checked.value.type,
            payload: (checked.value.payload ?? {}) as Record<string, unknown>,
            publishedAt: new Date().toISOString(),
        };
        await sns.send(new PublishCommand({
            TopicArn: topicArn,
            Message: JSON.stringify(message),
            // Lets subscription filter policies select API events by type.
            MessageAttributes: {
                source: { DataType: "String", StringValue: "api" },
                eventType: { DataType: "String", StringValue: message.type },
            },
        }));
        return jsonResponse(202, { eventId: message.eventId, status: "PUBLISHED" });
    };
}
