import type { ProviderView } from "../router";

type Json = Record<string, any>;

/** How many items a table panel shows, and how many it reads at most to find them. */
const NEWEST_SHOWN = 5;
const SCANNED_FOR_NEWEST = 1000;
/** Attribute names that hold when an item was written or changed (updatedAt, receivedAt, deployedAt, startTime...); TTLs (expiresAt) say when it goes. */
const TIME_ATTRIBUTE = /(At|Time|Timestamp|_at|_time|Date)$/;
const TTL_ATTRIBUTE = /^(expires|ttl)/i;

/** A DynamoDB attribute value as plain JSON (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_AttributeValue.html). */
export function plainValue(value: Json): unknown {
    const [type, inner] = Object.entries(value)[0] ?? ["NULL", true];
    switch (type) {
        case "S": case "BOOL": return inner;
        case "N": return Number(inner);
        case "NULL": return null;
        case "M": return plainItem(inner);
        case "L": return (inner as Json[]).map(plainValue);
        case "SS": case "BS": return inner;
        case "NS": return (inner as string[]).map(Number);
        default: return String(inner);
    }
}

export function plainItem(item: Json): Json {
    return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, plainValue(value)]));
}

/** The latest moment an item's time attributes name (ISO strings, epoch seconds or milliseconds); undefined when none. */
function itemTime(item: Json): number | undefined {
    const times = Object.entries(item)
        .filter(([name]) => TIME_ATTRIBUTE.test(name) && !TTL_ATTRIBUTE.test(name))
        .map(([, value]) => (typeof value === "number" ? (value < 1e11 ? value * 1000 : value) : Date.parse(String(value))))
        .filter(time => Number.isFinite(time));
    return times.length > 0 ? Math.max(...times) : undefined;
}

export interface TableSummary {
    name: string;
    keys: string[];
    itemCount: number;
    /** Newest first by the items' time attributes; in scan order when they have none. */
    newest: Json[];
    orderedBy: "time" | "scan";
}

/** Item count (Scan with Select COUNT: DescribeTable's ItemCount is refreshed only every six hours on AWS) and the newest items. */
export async function tableSummary(providers: ProviderView, name: string): Promise<TableSummary> {
    const { Table } = await providers.call("dynamodb", "DescribeTable", { TableName: name });
    let itemCount = 0;
    let start: Json | undefined;
    do {
        const page = await providers.call("dynamodb", "Scan", { TableName: name, Select: "COUNT", ...(start ? { ExclusiveStartKey: start } : {}) });
        itemCount += page.Count ?? 0;
        start = page.LastEvaluatedKey;
    } while (start);
    const items: Json[] = [];
    do {
        const page = await providers.call("dynamodb", "Scan", { TableName: name, Limit: SCANNED_FOR_NEWEST - items.length, ...(start ? { ExclusiveStartKey: start } : {}) });
        items.push(...(page.Items ?? []).map(plainItem));
        start = page.LastEvaluatedKey;
    } while (start && items.length < SCANNED_FOR_NEWEST);
    const timed = items.map(item => ({ item, time: itemTime(item) }));
    const ordered = timed.some(entry => entry.time !== undefined);
    const newest = ordered ? timed.sort((a, b) => (b.time ?? 0) - (a.time ?? 0)).map(entry => entry.item) : items;
    return { name, keys: (Table.KeySchema ?? []).map((key: Json) => String(key.AttributeName)), itemCount, newest: newest.slice(0, NEWEST_SHOWN), orderedBy: ordered ? "time" : "scan" };
}

/** `order_id`, `orderId` and `OrderID` name the same thing in a key and in an execution's input. */
function keyName(name: string): string {
    return name.replace(/[_-]/g, "").toLowerCase();
}

export interface RelatedRecord { table: string; key: Json; item: Json }

/**
 * The records an execution's input or output names by key: a table whose every key attribute appears (by name, case and
 * underscores aside) as a top-level string or number. This follows an order past its execution to FULFILLED or FAILED.
 */
export async function relatedRecords(providers: ProviderView, documents: unknown[]): Promise<RelatedRecord[]> {
    const fields = new Map<string, string | number>();
    for (const document of documents) {
        for (const [name, value] of Object.entries(document && typeof document === "object" ? document : {})) {
            if (typeof value === "string" || typeof value === "number") {
                fields.set(keyName(name), value);
            }
        }
    }
    const { TableNames = [] } = await providers.call("dynamodb", "ListTables", {});
    const records: RelatedRecord[] = [];
    for (const table of TableNames as string[]) {
        const { Table } = await providers.call("dynamodb", "DescribeTable", { TableName: table });
        const types = new Map<string, string>((Table.AttributeDefinitions ?? []).map((definition: Json) => [definition.AttributeName, definition.AttributeType]));
        const keyNames: string[] = (Table.KeySchema ?? []).map((key: Json) => String(key.AttributeName));
        if (keyNames.length === 0 || !keyNames.every(name => fields.has(keyName(name)))) {
            continue;
        }
        const key = Object.fromEntries(keyNames.map(name => [name, { [types.get(name) ?? "S"]: String(fields.get(keyName(name))) }]));
        const { Item } = await providers.call("dynamodb", "GetItem", { TableName: table, Key: key });
        if (Item) {
            records.push({ table, key: plainItem(key), item: plainItem(Item) });
        }
    }
    return records;
}
