import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { randomUUID } from "crypto";
import { badRequest, jsonResponse, parseJsonBody } from "../shared/http";
import { renewedAfterFailure } from "../shared/sdk-clients";
import { loadSettings } from "../shared/settings";
import { check } from "../shared/validation";
import { eventApiSettings, eventRequestMessage } from "./contract";
import { ApiEventMessage } from "./event-format";

/**
 * `POST /events`: validates `{type, subject?, payload?}` and publishes it to the event topic; 202 with the
 * eventId. Bad input gets 400/413/415 naming the problem and nothing is published; a failed publish never leaks
 * into the next invocation (the SNS client is renewed after it).
 */
export function eventApiHandler(): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
    const { eventTopicArn: topicArn } = loadSettings(eventApiSettings());
    const withSns = renewedAfterFailure(() => new SNSClient({}));
    const schema = eventRequestMessage().struct;

    return async event => {
        const parsed = parseJsonBody(event);
        if (!parsed.ok) {
            return parsed.response;
        }
        const checked = check(parsed.value, schema);
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
        try {
            await withSns(sns => sns.send(new PublishCommand({
                TopicArn: topicArn,
                Message: JSON.stringify(message),
                // Lets subscription filter policies select API events by type.
                MessageAttributes: {
                    source: { DataType: "String", StringValue: "api" },
                    eventType: { DataType: "String", StringValue: message.type },
                },
            })));
        } catch (error) {
            console.error(JSON.stringify({ event: "publish-failed", eventId: message.eventId, error: `${(error as Error).name}: ${(error as Error).message}` }));
            return jsonResponse(503, { message: "The event could not be published now; send it again later" });
        }
        return jsonResponse(202, { eventId: message.eventId, status: "PUBLISHED" });
    };
}
