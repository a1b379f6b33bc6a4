import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { badRequest, jsonResponse } from "../shared/http";

/** `GET /events/{eventId}`: the stored record with its status, or 404 JSON when unknown. */
export function eventReaderHandler(): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
    const tableName = process.env.EVENTS_TABLE ?? "";
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

    return async event => {
        const eventId = event.pathParameters?.eventId;
        if (!eventId || eventId.length > 256) {
            return badRequest("eventId path parameter is missing or longer than 256 characters", ["eventId"]);
        }
        const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: { eventId } }));
        if (!Item) {
            return jsonResponse(404, { message: `Event ${eventId} not found` });
        }
        return jsonResponse(200, Item);
    };
}
