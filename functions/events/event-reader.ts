import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { badRequest, jsonResponse } from "../shared/http";
import { stringProblem } from "../shared/message-schema";
import { loadSettings } from "../shared/settings";
import { eventReaderSettings } from "./contract";
import { MAX_EVENT_ID_LENGTH } from "./event-format";

/** `GET /events/{eventId}`: the stored record with its status, or 404 JSON when unknown. */
export function eventReaderHandler(): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
    const { eventsTable: tableName } = loadSettings(eventReaderSettings());
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

    return async event => {
        const eventId = event.pathParameters?.eventId;
        const problem = eventId ? stringProblem(eventId, MAX_EVENT_ID_LENGTH) : "is missing";
        if (!eventId || problem) {
            return badRequest("The eventId is invalid", [`eventId: ${problem}`]);
        }
        const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: { eventId } }));
        if (!Item) {
            return jsonResponse(404, { message: `Event ${eventId} not found` });
        }
        return jsonResponse(200, Item);
    };
}
