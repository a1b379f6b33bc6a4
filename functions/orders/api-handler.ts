import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { randomUUID } from "crypto";
import { badRequest, jsonResponse, parseJsonBody } from "../shared/http";
import { check } from "../shared/validation";
import { loadSettings } from "../shared/settings";
import { orderApiSettings, orderRequestMessage } from "./contract";
import { OrderRequest, statusTransition } from "./order-rules";

/**
 * `POST /order`: checks the request against its message definition (JSON object, exact fields, types, bounds,
 * well-formed text, bounded metadata → 400), records the
 * order as PENDING and starts the order state machine with the orderId as execution name → 202.
 * If the workflow cannot be started (after the SDK's retries) the order is marked FAILED with the cause → 503.
 */
export function apiHandler(): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const stepFunctions = new SFNClient({});
    const { ordersTable: tableName, stateMachineArn } = loadSettings(orderApiSettings());
    const orderShape = orderRequestMessage().struct;

    return async event => {
        const body = parseJsonBody(event);
        if (!body.ok) {
            return body.response;
        }
        const checked = check(body.value, orderShape);
        if (!checked.ok) {
            return badRequest("The order request is invalid", checked.problems);
        }
        const request: OrderRequest = checked.value;
        const orderId = randomUUID();
        const now = new Date().toISOString();
        await documents.send(new PutCommand({
            TableName: tableName,
            Item: {
                order_id: orderId, ...request, status: "PENDING", createdAt: now, updatedAt: now,
                statusHistory: [{ status: "PENDING", at: now }],
            },
            ConditionExpression: "attribute_not_exists(order_id)",
        }));
        let executionArn: string | undefined;
        try {
            ({ executionArn } = await stepFunctions.send(new StartExecutionCommand({
                stateMachineArn,
                name: orderId,
                input: JSON.stringify({ orderId, ...request }),
            })));
        } catch (error) {
            const lastError = `The order workflow could not be started: ${(error as Error).name}: ${(error as Error).message}`;
            console.error(JSON.stringify({ event: "start-execution-failed", orderId, error: lastError }));
            // Without an execution nothing would ever move the order on; FAILED tells GET /order and the caller the truth.
            await documents.send(new UpdateCommand({
                TableName: tableName,
                ...statusTransition(orderId, "PENDING", "FAILED", new Date().toISOString(), { lastError }, lastError),
            }));
            return jsonResponse(503, { orderId, status: "FAILED", message: "The order could not be processed now; send it again later" });
        }
        return jsonResponse(202, {
            orderId,
            status: "ACCEPTED",
            executionArn,
            message: `Order accepted; follow it at GET /order/${orderId}`,
        });
    };
}
