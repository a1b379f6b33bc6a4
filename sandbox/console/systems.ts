import type { RecordedResource } from "../mock-cloud";

/** Component modules that are building blocks, not systems of their own. */
const BUILDING_BLOCK_MODULE = "shared";

export interface SystemOutput { key: string; value: unknown; resourceType?: string }
export interface SystemView { name: string; type: string; outputs: SystemOutput[] }

/** Values a resource is known by in stack outputs: physical name, ARN, queue URL, bucket, id. */
function identifiers(resource: RecordedResource): unknown[] {
    return [resource.id, resource.state.name, resource.state.arn, resource.state.url, resource.state.bucket].filter(value => value !== undefined && value !== "");
}

/** The resource an output names: by identifier, or an API's invoke URL by its `/restapis/<id>/` part. */
function resourceOf(value: unknown, resources: RecordedResource[]): RecordedResource | undefined {
    const candidates = value && typeof value === "object" ? Object.values(value) : [value];
    for (const candidate of candidates) {
        const apiId = /\/restapis\/([^/]+)\//.exec(String(candidate))?.[1];
        const found = resources.find(resource => !resource.type.startsWith("serverless-pipelines:") &&
            (identifiers(resource).includes(candidate) || (apiId !== undefined && resource.type === "aws:apigateway/restApi:RestApi" && resource.id === apiId)));
        if (found) {
            return found;
        }
    }
    return undefined;
}

/**
 * The program's systems (its ComponentResources outside the building blocks, `serverless-pipelines:<module>:<Name>`) with
 * the stack outputs each one's resources answer to. Children are named after their parent (`orders-queue` under `orders`),
 * so the longest system name a resource's name starts with owns it; outputs no system owns are listed under "stack".
 */
export function systemsOf(outputs: Record<string, unknown>, resources: RecordedResource[]): SystemView[] {
    const systems: SystemView[] = resources
        .filter(resource => resource.type.startsWith("serverless-pipelines:") && resource.type.split(":")[1] !== BUILDING_BLOCK_MODULE)
        .map(resource => ({ name: resource.name, type: resource.type.split(":")[2], outputs: [] }));
    const stack: SystemView = { name: "stack", type: "Stack", outputs: [] };
    for (const [key, value] of Object.entries(outputs)) {
        const resource = resourceOf(value, resources);
        const owner = resource && systems
            .filter(system => resource.name === system.name || resource.name.startsWith(`${system.name}-`))
            .sort((a, b) => b.name.length - a.name.length)[0];
        (owner ?? stack).outputs.push({ key, value, ...(resource ? { resourceType: resource.type } : {}) });
    }
    return [...systems, ...(stack.outputs.length > 0 ? [stack] : [])];
}
