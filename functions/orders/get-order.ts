import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { badRequest, jsonResponse } from "../shared/http";
import { loadSettings } from "../shared/settings";
import { orderTableSettings } from "./contract";
import { ORDER_ID_PATTERN } from "./order-rules";

/** `GET /order/{orderId}`: the order with its status history; 400 for a malformed id, 404 when unknown. */
export function getOrderHandler(): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const { ordersTable: tableName } = loadSettings(orderTableSettings());
    return async event => {
        const orderId = event.pathParameters?.orderId ?? "";
        if (!ORDER_ID_PATTERN.test(orderId)) {
            return badRequest("The order id is invalid", [`orderId: must be a lowercase UUID, got ${JSON.stringify(orderId)}`]);
        }
        const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: { order_id: orderId } }));
        if (!Item) {
            return jsonResponse(404, { message: `Order ${orderId} not found` });
        }
        const { order_id: id, ...order } = Item;
        return jsonResponse(200, { orderId: id, ...order });
    };
}
