import type { ErrorObject } from "ajv-draft-04";
import type { RecordedResource } from "../../mock-cloud";

type Json = Record<string, any>;

export interface ApiResource { id: string; parentId?: string; pathPart: string }

/** One REST API as the synthesized `aws:apigateway/*` resources describe it. */
export interface RestApiModel {
    id: string;
    rootResourceId: string;
    stages: Set<string>;
    resources: Map<string, ApiResource>;
    /** Keyed by `<resourceId> <HTTP method>`. */
    methods: Map<string, Json>;
    integrations: Map<string, Json>;
    integrationResponses: Map<string, Json[]>;
    models: Map<string, Json>;
    validators: Map<string, Json>;
    /** Gateway responses by response type (BAD_REQUEST_BODY, DEFAULT_4XX, ...). */
    gatewayResponses: Map<string, Json>;
}

export interface Matched { resource: ApiResource; resourcePath: string; pathParameters: Record<string, string> }

export const methodKey = (resourceId: string, httpMethod: string) => `${resourceId} ${httpMethod}`;
const apiOf = (resource: RecordedResource): string => resource.inputs.restApi ?? resource.inputs.restApiId;

/** Validation problems in the words of API Gateway's draft-4 validator, with the field's pointer when it is not the root. */
export function describeProblems(errors: ErrorObject[]): string {
    const missing = new Map<string, string[]>();
    const problems: string[] = [];
    for (const error of errors) {
        const at = error.instancePath ? `${error.instancePath}: ` : "";
        const params = error.params as Json;
        switch (error.keyword) {
            case "required":
                missing.set(at, [...(missing.get(at) ?? []), params.missingProperty]);
                break;
            case "type":
                problems.push(`${at}instance type (${typeName(error.data)}) does not match any allowed primitive type (allowed: ${JSON.stringify([params.type].flat())})`);
                break;
            case "additionalProperties":
                problems.push(`${at}object instance has properties which are not allowed by the schema: ${JSON.stringify([params.additionalProperty])}`);
                break;
            case "enum":
                problems.push(`${at}instance value (${JSON.stringify(error.data)}) not found in enum (possible values: ${JSON.stringify(params.allowedValues)})`);
                break;
            case "pattern":
                problems.push(`${at}ECMA 262 regex "${params.pattern}" does not match input string ${JSON.stringify(error.data)}`);
                break;
            case "minimum":
            case "maximum":
                problems.push(`${at}numeric instance is ${params.comparison.startsWith("<") ? "greater than the required maximum" : "lower than the required minimum"} (${error.keyword}: ${params.limit}, found: ${error.data})`);
                break;
            default:
                problems.push(`${at}${String(error.message).replace(/'/g, "\"")}`);
        }
    }
    const required = [...missing].map(([at, names]) => `${at}object has missing required properties (${JSON.stringify(names.sort())})`);
    return `[${[...required, ...problems].join(", ")}]`;
}

function typeName(value: unknown): string {
    if (value === null) {
        return "null";
    }
    if (Array.isArray(value)) {
        return "array";
    }
    if (typeof value === "number") {
        return Number.isInteger(value) ? "integer" : "number";
    }
    return typeof value;
}

export function loadApis(resources: RecordedResource[]): Map<string, RestApiModel> {
    const apis = new Map<string, RestApiModel>();
    const ofKind = (kind: string) => resources.filter(resource => resource.type === `aws:apigateway/${kind}`);
    for (const api of ofKind("restApi:RestApi")) {
        apis.set(api.id, {
            id: api.id, rootResourceId: api.state.rootResourceId, stages: new Set(), resources: new Map(), methods: new Map(),
            integrations: new Map(), integrationResponses: new Map(), models: new Map(), validators: new Map(), gatewayResponses: new Map(),
        });
    }
    const each = (kind: string, add: (api: RestApiModel, resource: RecordedResource) => void) => {
        for (const resource of ofKind(kind)) {
            const api = apis.get(apiOf(resource));
            if (api) {
                add(api, resource);
            }
        }
    };
    each("stage:Stage", (api, stage) => api.stages.add(stage.inputs.stageName));
    each("resource:Resource", (api, resource) => api.resources.set(resource.id, { id: resource.id, parentId: resource.inputs.parentId, pathPart: resource.inputs.pathPart }));
    each("method:Method", (api, method) => api.methods.set(methodKey(method.inputs.resourceId, method.inputs.httpMethod), method.inputs));
    each("integration:Integration", (api, integration) => api.integrations.set(methodKey(integration.inputs.resourceId, integration.inputs.httpMethod), integration.inputs));
    each("integrationResponse:IntegrationResponse", (api, response) => {
        const key = methodKey(response.inputs.resourceId, response.inputs.httpMethod);
        api.integrationResponses.set(key, [...(api.integrationResponses.get(key) ?? []), response.inputs]);
    });
    each("model:Model", (api, model) => api.models.set(model.inputs.name, model.inputs));
    each("requestValidator:RequestValidator", (api, validator) => api.validators.set(validator.id, validator.inputs));
    each("response:Response", (api, response) => api.gatewayResponses.set(response.inputs.responseType, response.inputs));
    return apis;
}

/** Walks the resource tree: literal path parts first, then `{param}`, then a greedy `{proxy+}`. */
export function matchResource(api: RestApiModel, segments: string[]): Matched | undefined {
    const children = (parentId: string) => [...api.resources.values()].filter(resource => resource.parentId === parentId);
    const walk = (parentId: string, rest: string[], parts: string[], parameters: Record<string, string>): Matched | undefined => {
        if (rest.length === 0) {
            const resource = parentId === api.rootResourceId ? { id: api.rootResourceId, pathPart: "" } : api.resources.get(parentId)!;
            return { resource, resourcePath: `/${parts.join("/")}`, pathParameters: parameters };
        }
        const [segment, ...remaining] = rest;
        const candidates = children(parentId);
        const exact = candidates.find(child => child.pathPart === segment);
        const exactMatch = exact && walk(exact.id, remaining, [...parts, exact.pathPart], parameters);
        if (exactMatch) {
            return exactMatch;
        }
        for (const child of candidates.filter(candidate => /^\{[^}+]+\}$/.test(candidate.pathPart))) {
            const found = walk(child.id, remaining, [...parts, child.pathPart], { ...parameters, [child.pathPart.slice(1, -1)]: segment });
            if (found) {
                return found;
            }
        }
        const greedy = candidates.find(candidate => /^\{[^}]+\+\}$/.test(candidate.pathPart));
        return greedy && {
            resource: greedy, resourcePath: `/${[...parts, greedy.pathPart].join("/")}`,
            pathParameters: { ...parameters, [greedy.pathPart.slice(1, -2)]: rest.join("/") },
        };
    };
    return walk(api.rootResourceId, segments, [], {});
}
