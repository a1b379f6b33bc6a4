import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { loadSettings } from "../shared/settings";
import { orderTableSettings } from "./contract";
import { asTaskError, isConditionFailure, OrderStatus, statusTransition } from "./order-rules";

export interface StoreOrderInput { orderId: string; totalAmount: number }
export interface RejectOrderInput { orderId: string; reasons: string[] }
export interface StoredOrder { orderId: string; status: OrderStatus; alreadyRecorded: boolean }

/** After a failed condition: the status the order already has (a replay), or an error when it does not exist. */
async function currentStatus(documents: DynamoDBDocumentClient, tableName: string | undefined, orderId: string): Promise<OrderStatus> {
    const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: { order_id: orderId }, ConsistentRead: true }));
    if (!Item) {
        const missing = new Error(`Order ${orderId} has no PENDING record`);
        missing.name = "OrderNotFound";
        throw missing;
    }
    return Item.status as OrderStatus;
}

/** Moves the order PENDING → `to`; a replay finds it already moved and reports the status it has, changing nothing. */
async function moveFromPending(documents: DynamoDBDocumentClient, tableName: string | undefined, orderId: string, to: OrderStatus, set: Record<string, unknown>, detail?: string): Promise<StoredOrder> {
    try {
        await documents.send(new UpdateCommand({
            TableName: tableName,
            ...statusTransition(orderId, "PENDING", to, new Date().toISOString(), set, detail),
        }));
        return { orderId, status: to, alreadyRecorded: false };
    } catch (error) {
        if (isConditionFailure(error)) {
            return { orderId, status: await currentStatus(documents, tableName, orderId), alreadyRecorded: true };
        }
        throw asTaskError(error);
    }
}

/** StoreOrder task: PENDING → PROCESSING with the computed total; a replay finds the order already moved and changes nothing. */
export function storeOrderHandler(): (event: StoreOrderInput) => Promise<StoredOrder> {
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const { ordersTable: tableName } = loadSettings(orderTableSettings());
    return ({ orderId, totalAmount }) => moveFromPending(documents, tableName, orderId, "PROCESSING", { totalAmount });
}

/** RejectOrder task: PENDING → REJECTED with every reason stored on the order. */
export function rejectOrderHandler(): (event: RejectOrderInput) => Promise<StoredOrder> {
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const { ordersTable: tableName } = loadSettings(orderTableSettings());
    return ({ orderId, reasons }) => moveFromPending(documents, tableName, orderId, "REJECTED", { rejectionReasons: reasons }, reasons.join("; "));
}
