import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { UNSUPPORTED_MEDIA_TYPE_MESSAGE } from "../../functions/shared/http";
import { assumeRolePolicy, policyDocument } from "./iam";
import { physicalName, PlatformOptions, tracingEnabled } from "./platform";

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE" | "PATCH";

/** JSON Schema (draft 4, what API Gateway models accept) for a request body. */
export type JsonSchema = Record<string, unknown>;

interface RouteBase {
    method: HttpMethod;
    /** Resource path without leading slash, e.g. `order/{orderId}`. */
    path: string;
    /** When set, API Gateway rejects bodies that do not match it with 400 before anything runs. */
    requestSchema?: JsonSchema;
}

/** A route proxied to a Lambda function (AWS_PROXY). */
export interface LambdaRoute extends RouteBase {
    kind: "lambda";
    function: { name: pulumi.Input<string>; invokeArn: pulumi.Input<string> };
}

/** A route whose JSON body API Gateway sends straight to an SQS queue; answers 202 with the message id. */
export interface SqsRoute extends RouteBase {
    kind: "sqs";
    queue: { arn: pulumi.Input<string> };
    /** Key of the queue's SSE-KMS key, when it has one. */
    kmsKeyArn?: pulumi.Input<string>;
}

export type Route = LambdaRoute | SqsRoute;

export interface RestApiArgs {
    platform: PlatformOptions;
    /** Base name; the API is `<namePrefix>-<apiName>`. */
    apiName: string;
    description?: string;
    routes: Route[];
    /** Default: `v1`. */
    stageName?: string;
    /** `Access-Control-Allow-Origin` for browsers. Default: `*`. */
    corsAllowOrigin?: string;
    /**
     * LocalStack-style endpoint (e.g. `http://localhost:4566`). When set, `url` is the path-style
     * `<endpoint>/restapis/<id>/<stage>/_user_request_` form that needs no DNS; otherwise the stage's invoke URL.
     */
    localEndpoint?: string;
    /** Default: 50 requests/s steady, 100 burst. */
    throttling?: { rateLimit: number; burstLimit: number };
}

/** Path-parameter segments become `*` in execute-api ARNs (as CDK does), so permissions match every id. */
function arnPath(path: string): string {
    return path.replace(/\{[^}]+\}/g, "*");
}

const JSON_CONTENT = "application/json";
/**
 * The Content-Type values the POST routes accept, each a key of the request models and templates. AWS documents no
 * rule for parameters such as charset and LocalStack compares the whole header value, so every accepted spelling is
 * listed; a request without the header counts as application/json (docs: integration-passthrough-behaviors).
 */
export const JSON_CONTENT_TYPES = [
    JSON_CONTENT, "application/json; charset=utf-8", "application/json;charset=utf-8", "application/json; charset=UTF-8", "application/json;charset=UTF-8",
];
const forEachJsonContentType = <T>(value: T): Record<string, T> => Object.fromEntries(JSON_CONTENT_TYPES.map(contentType => [contentType, value]));

/**
 * An API Gateway REST (v1) API, the flavour LocalStack serves for free: Lambda proxy and direct SQS
 * routes, body validation against JSON Schema models with error bodies that name the problem, CORS,
 * a deployment that follows every change to what it serves, a stage with throttling and (outside local) X-Ray.
 */
export class RestApi extends pulumi.ComponentResource {
    public readonly api: aws.apigateway.RestApi;
    /** Every child whose settings a deployment snapshots, keyed by what it is within this API. */
    private readonly snapshot: { key: string; resource: pulumi.CustomResource }[] = [];
    public readonly stage: aws.apigateway.Stage;
    /** Base URL; append a route path, e.g. `${url}/order`. */
    public readonly url: pulumi.Output<string>;
    public readonly id: pulumi.Output<string>;

    constructor(name: string, args: RestApiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("serverless-pipelines:shared:RestApi", name, {}, opts);
        const stageName = args.stageName ?? "v1";
        const allowOrigin = args.corsAllowOrigin ?? "*";
        const child = { parent: this };

        this.api = this.served("api", new aws.apigateway.RestApi(name, {
            name: physicalName(args.platform, args.apiName),
            description: args.description,
            endpointConfiguration: { types: "REGIONAL" },
        }, child));
        this.id = this.api.id;

        const validator = this.served("validator", new aws.apigateway.RequestValidator(`${name}-validator`, {
            restApi: this.api.id,
            name: "body-and-parameters",
            validateRequestBody: true,
            validateRequestParameters: true,
        }, child));
        const idLabels: [pulumi.Input<string>, string][] = [[this.api.id, "<api>"], [this.api.rootResourceId, "/"], [validator.id, "<validator>"]];

        const corsHeaders = {
            "gatewayresponse.header.Access-Control-Allow-Origin": `'${allowOrigin}'`,
            "gatewayresponse.header.Access-Control-Allow-Headers": "'Content-Type'",
        };
        // API Gateway's own errors as JSON that names the problem (the validator's message included).
        [
            { type: "BAD_REQUEST_BODY", template: `{"message":$context.error.messageString,"problems":"$util.escapeJavaScript($context.error.validationErrorString)"}` },
            { type: "BAD_REQUEST_PARAMETERS", template: `{"message":$context.error.messageString,"problems":"$util.escapeJavaScript($context.error.validationErrorString)"}` },
            { type: "UNSUPPORTED_MEDIA_TYPE", template: JSON.stringify({ message: UNSUPPORTED_MEDIA_TYPE_MESSAGE }) },
            { type: "DEFAULT_4XX", template: `{"message":$context.error.messageString}` },
            { type: "DEFAULT_5XX", template: `{"message":$context.error.messageString}` },
        ].forEach(response => this.served(`gateway-response ${response.type}`, new aws.apigateway.Response(`${name}-${response.type.toLowerCase().replace(/_/g, "-")}`, {
            restApiId: this.api.id,
            responseType: response.type,
            responseTemplates: { [JSON_CONTENT]: response.template },
            responseParameters: corsHeaders,
        }, child)));

        const resources = new Map<string, aws.apigateway.Resource>();
        const resourceFor = (path: string): pulumi.Input<string> => {
            if (path === "") {
                return this.api.rootResourceId;
            }
            const existing = resources.get(path);
            if (existing) {
                return existing.id;
            }
            const slash = path.lastIndexOf("/");
            const parentPath = slash < 0 ? "" : path.slice(0, slash);
            const resource = this.served(`resource /${path}`, new aws.apigateway.Resource(`${name}-${slug(path)}`, {
                restApi: this.api.id,
                parentId: resourceFor(parentPath),
                pathPart: path.slice(slash + 1),
            }, child));
            resources.set(path, resource);
            idLabels.push([resource.id, `/${path}`]);
            return resource.id;
        };

        for (const route of args.routes) {
            this.addRoute(name, route, resourceFor(route.path), validator, allowOrigin);
        }
        for (const path of new Set(args.routes.map(route => route.path))) {
            this.addCorsPreflight(name, path, resourceFor(path), allowOrigin, args.routes);
        }

        // A stage serves the snapshot its deployment took, so any change to what the children hold needs a new deployment
        // (https://www.pulumi.com/registry/packages/aws/api-docs/apigateway/deployment/: prefer `triggers` over dependsOn).
        // Pulumi replaces create-before-delete by default, so the stage moves to the new deployment before the old one goes.
        const deployment = new aws.apigateway.Deployment(`${name}-deployment`, {
            restApi: this.api.id,
            description: "Managed by Pulumi",
            triggers: { redeployment: snapshotFingerprint(this.snapshot, idLabels) },
        }, { parent: this, dependsOn: this.snapshot.map(child => child.resource) });

        this.stage = new aws.apigateway.Stage(`${name}-stage`, {
            restApi: this.api.id,
            deployment: deployment.id,
            stageName,
            xrayTracingEnabled: tracingEnabled(args.platform),
        }, child);

        const throttling = args.throttling ?? { rateLimit: 50, burstLimit: 100 };
        new aws.apigateway.MethodSettings(`${name}-throttling`, {
            restApi: this.api.id,
            stageName: this.stage.stageName,
            methodPath: "*/*",
            settings: { throttlingRateLimit: throttling.rateLimit, throttlingBurstLimit: throttling.burstLimit, metricsEnabled: true },
        }, child);

        this.url = args.localEndpoint
            ? pulumi.interpolate`${args.localEndpoint}/restapis/${this.api.id}/${stageName}/_user_request_`
            : this.stage.invokeUrl;
        this.registerOutputs({ url: this.url });
    }

    /** Registers a child whose settings the deployment snapshots. */
    private served<T extends pulumi.CustomResource>(key: string, resource: T): T {
        this.snapshot.push({ key, resource });
        return resource;
    }

    private addRoute(name: string, route: Route, resourceId: pulumi.Input<string>, validator: aws.apigateway.RequestValidator, allowOrigin: string): void {
        const id = `${name}-${route.method.toLowerCase()}-${slug(route.path)}`;
        const key = `${route.method} /${route.path}`;
        const child = { parent: this };
        const model = route.requestSchema
            ? this.served(`${key} model`, new aws.apigateway.Model(`${id}-model`, {
                restApi: this.api.id,
                name: `${route.method}${route.path.replace(/[^A-Za-z0-9]/g, "")}Body`,
                contentType: JSON_CONTENT,
                schema: JSON.stringify(route.requestSchema),
            }, child))
            : undefined;
        const pathParameters = [...route.path.matchAll(/\{([^}]+)\}/g)].map(match => match[1]);
        const method = this.served(`${key} method`, new aws.apigateway.Method(id, {
            restApi: this.api.id,
            resourceId,
            httpMethod: route.method,
            // Public demo endpoints; put an authorizer or API key in front before exposing real data.
            authorization: "NONE",
            requestValidatorId: model || pathParameters.length ? validator.id : undefined,
            requestModels: model ? forEachJsonContentType(model.name) : undefined,
            requestParameters: pathParameters.length
                ? Object.fromEntries(pathParameters.map(parameter => [`method.request.path.${parameter}`, true]))
                : undefined,
        }, child));

        if (route.kind === "lambda") {
            this.served(`${key} integration`, new aws.apigateway.Integration(id, {
                restApi: this.api.id,
                resourceId,
                httpMethod: method.httpMethod,
                type: "AWS_PROXY",
                integrationHttpMethod: "POST",
                uri: route.function.invokeArn,
            }, child));
            new aws.lambda.Permission(`${id}-invoke`, {
                action: "lambda:InvokeFunction",
                function: route.function.name,
                principal: "apigateway.amazonaws.com",
                sourceArn: pulumi.interpolate`${this.api.executionArn}/*/${route.method}/${arnPath(route.path)}`,
            }, child);
            return;
        }

        const role = new aws.iam.Role(`${id}-role`, {
            assumeRolePolicy: assumeRolePolicy("apigateway.amazonaws.com"),
            description: `Lets API Gateway send ${route.method} /${route.path} bodies to SQS`,
        }, child);
        const rolePolicy = new aws.iam.RolePolicy(`${id}-policy`, {
            role: role.id,
            policy: policyDocument([
                { sid: "SendToQueue", actions: ["sqs:SendMessage"], resources: [route.queue.arn] },
                ...(route.kmsKeyArn ? [{ sid: "EncryptMessages", actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: [route.kmsKeyArn] }] : []),
            ]),
        }, child);
        const integration = this.served(`${key} integration`, new aws.apigateway.Integration(id, {
            restApi: this.api.id,
            resourceId,
            httpMethod: method.httpMethod,
            type: "AWS",
            integrationHttpMethod: "POST",
            credentials: role.arn,
            // arn:aws:sqs:<region>:<account>:<name> → the SQS query API path of that queue.
            uri: pulumi.output(route.queue.arn).apply(arn => {
                const [, , , region, account, queueName] = arn.split(":");
                return `arn:aws:apigateway:${region}:sqs:path/${account}/${queueName}`;
            }),
            requestParameters: { "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'" },
            // The body as validated, re-serialized, so the queue never holds text the model did not see (trailing data, duplicate keys).
            requestTemplates: forEachJsonContentType("Action=SendMessage&MessageBody=$util.urlEncode($input.json('$'))"),
            // Bodies of any other content type get 415 instead of reaching the queue unvalidated.
            passthroughBehavior: "NEVER",
        }, { parent: this, dependsOn: [rolePolicy] }));
        const accepted = this.served(`${key} method-response 202`, new aws.apigateway.MethodResponse(`${id}-202`, {
            restApi: this.api.id,
            resourceId,
            httpMethod: method.httpMethod,
            statusCode: "202",
            responseParameters: { "method.response.header.Access-Control-Allow-Origin": true },
        }, child));
        this.served(`${key} integration-response 202`, new aws.apigateway.IntegrationResponse(`${id}-202`, {
            restApi: this.api.id,
            resourceId,
            httpMethod: method.httpMethod,
            statusCode: accepted.statusCode,
            selectionPattern: "2\\d{2}",
            responseParameters: { "method.response.header.Access-Control-Allow-Origin": `'${allowOrigin}'` },
            responseTemplates: {
                [JSON_CONTENT]: `{"status":"QUEUED","messageId":"$input.path('$.SendMessageResponse.SendMessageResult.MessageId')"}`,
            },
        }, { parent: this, dependsOn: [integration] }));
        const failed = this.served(`${key} method-response 502`, new aws.apigateway.MethodResponse(`${id}-502`, {
            restApi: this.api.id,
            resourceId,
            httpMethod: method.httpMethod,
            statusCode: "502",
            responseParameters: { "method.response.header.Access-Control-Allow-Origin": true },
        }, child));
        this.served(`${key} integration-response 502`, new aws.apigateway.IntegrationResponse(`${id}-502`, {
            restApi: this.api.id,
            resourceId,
            httpMethod: method.httpMethod,
            statusCode: failed.statusCode,
            // Anything but 2xx from SQS means the request was valid but could not be queued.
            selectionPattern: "[45]\\d{2}",
            responseParameters: { "method.response.header.Access-Control-Allow-Origin": `'${allowOrigin}'` },
            responseTemplates: { [JSON_CONTENT]: `{"message":"The request could not be queued; try again"}` },
        }, { parent: this, dependsOn: [integration] }));
    }

    private addCorsPreflight(name: string, path: string, resourceId: pulumi.Input<string>, allowOrigin: string, routes: Route[]): void {
        const id = `${name}-options-${slug(path)}`;
        const key = `OPTIONS /${path}`;
        const child = { parent: this };
        const methods = routes.filter(route => route.path === path).map(route => route.method);
        const method = this.served(`${key} method`, new aws.apigateway.Method(id, {
            restApi: this.api.id, resourceId, httpMethod: "OPTIONS", authorization: "NONE",
        }, child));
        const integration = this.served(`${key} integration`, new aws.apigateway.Integration(id, {
            restApi: this.api.id, resourceId, httpMethod: method.httpMethod, type: "MOCK",
            requestTemplates: { [JSON_CONTENT]: `{"statusCode": 200}` },
        }, child));
        const headers = ["Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers"];
        const response = this.served(`${key} method-response 204`, new aws.apigateway.MethodResponse(id, {
            restApi: this.api.id, resourceId, httpMethod: method.httpMethod, statusCode: "204",
            responseParameters: Object.fromEntries(headers.map(header => [`method.response.header.${header}`, true])),
        }, child));
        this.served(`${key} integration-response 204`, new aws.apigateway.IntegrationResponse(id, {
            restApi: this.api.id, resourceId, httpMethod: method.httpMethod, statusCode: response.statusCode,
            responseParameters: {
                "method.response.header.Access-Control-Allow-Origin": `'${allowOrigin}'`,
                "method.response.header.Access-Control-Allow-Methods": `'${[...methods, "OPTIONS"].join(",")}'`,
                "method.response.header.Access-Control-Allow-Headers": "'Content-Type'",
            },
        }, { parent: this, dependsOn: [integration] }));
    }
}

function slug(path: string): string {
    return path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+/g, "-") || "root";
}

/** Identity and bookkeeping properties: they never change what a stage serves. */
const UNSERVED_PROPERTIES = new Set(["urn", "id", "arn", "executionArn", "createdDate", "tags", "tagsAll"]);

/**
 * A hash of every property each child resolved to (all of them, so a property added later is covered too), with the
 * ids of the API, its path resources and its validator replaced by what they stand for: equal content, equal hash.
 */
function snapshotFingerprint(children: { key: string; resource: pulumi.CustomResource }[], idLabels: [pulumi.Input<string>, string][]): pulumi.Output<string> {
    const described = children.map(({ key, resource }) => pulumi.output(Object.fromEntries(
        Object.entries(resource).filter(([property, value]) => !UNSERVED_PROPERTIES.has(property) && pulumi.Output.isInstance(value)),
    )).apply(properties => ({ key, properties })));
    return pulumi.all([pulumi.all(described), pulumi.all(idLabels.map(([id]) => id))]).apply(([content, ids]) => {
        const labelOf = new Map(ids.map((id, index) => [id, idLabels[index][1]]));
        const text = JSON.stringify(content, (_property, value) => (typeof value === "string" && labelOf.has(value) ? labelOf.get(value) : value));
        return createHash("sha256").update(text).digest("hex");
    });
}
