import Ajv, { ValidateFunction } from "ajv-draft-04";
import { randomUUID } from "crypto";
import type * as http from "http";
import type { SandboxContext, SandboxService } from "../../cloud";
import { asAwsError } from "../../protocols/wire";
import type { ProviderRegistry } from "../../router";
import { describeProblems, loadApis, type Matched, matchResource, methodKey, type RestApiModel } from "./model";
import { renderTemplate, stringOf, type TemplateScope } from "./templates";

type Json = Record<string, any>;

interface Reply { status: number; headers: Record<string, string>; body: string | Buffer }

interface GatewayError { type: string; status: number; message: string; validationErrorString?: string }

const DEFAULT_GATEWAY_TEMPLATE = "{\"message\":$context.error.messageString}";
const JSON_CONTENT = "application/json";

/** `'value'` (a static mapping value) → `value`. */
const literal = (value: string): string | undefined => /^'(.*)'$/s.exec(value)?.[1];

/**
 * API Gateway REST (v1) on LocalStack's path-style URLs (`/restapis/<id>/<stage>/_user_request_/<path>`),
 * built from the synthesized `aws:apigateway/*` resources: request validation against the methods'
 * draft-4 models, Lambda proxy integrations, direct SQS integrations through their mapping templates,
 * MOCK integrations (CORS preflight) and the API's gateway responses for every error it answers itself.
 */
/** SQS integrations send through `providers` in process, never over HTTP. */
export function createApiGatewayService(ctx: SandboxContext, providers: ProviderRegistry): SandboxService {
    const apis = loadApis(ctx.resources);
    // verbose: the offending value is part of each problem, as in API Gateway's messages.
    const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
    const validators = new Map<string, ValidateFunction>();

    function schemaValidator(api: RestApiModel, modelName: string): ValidateFunction | undefined {
        const key = `${api.id}/${modelName}`;
        const model = api.models.get(modelName);
        if (!model) {
            return undefined;
        }
        if (!validators.has(key)) {
            const schema = typeof model.schema === "string" ? JSON.parse(model.schema) : model.schema;
            validators.set(key, ajv.compile(schema));
        }
        return validators.get(key);
    }

    function gatewayResponse(api: RestApiModel | undefined, error: GatewayError, requestId: string): Reply {
        const configured = api?.gatewayResponses.get(error.type) ?? api?.gatewayResponses.get(error.status >= 500 ? "DEFAULT_5XX" : "DEFAULT_4XX");
        const template: string = configured?.responseTemplates?.[JSON_CONTENT] ?? DEFAULT_GATEWAY_TEMPLATE;
        const headers: Record<string, string> = { "Content-Type": JSON_CONTENT, "x-amzn-ErrorType": error.type };
        for (const [name, value] of Object.entries<string>(configured?.responseParameters ?? {})) {
            const header = /^gatewayresponse\.header\.(.+)$/.exec(name)?.[1];
            if (header && literal(value) !== undefined) {
                headers[header] = literal(value)!;
            }
        }
        const context = {
            requestId,
            error: { message: error.message, messageString: JSON.stringify(error.message), validationErrorString: error.validationErrorString ?? "", responseType: error.type },
        };
        const status = api?.gatewayResponses.get(error.type)?.statusCode ? Number(api.gatewayResponses.get(error.type)!.statusCode) : error.status;
        return { status, headers, body: renderTemplate(template, { body: "", json: () => ({}), context }) };
    }

    function validate(api: RestApiModel, method: Json, request: Json): GatewayError | undefined {
        const validator = method.requestValidatorId ? api.validators.get(method.requestValidatorId) : undefined;
        if (!validator) {
            return undefined;
        }
        if (validator.validateRequestParameters) {
            const missing = Object.entries<boolean>(method.requestParameters ?? {})
                .filter(([, required]) => required)
                .map(([name]) => /^method\.request\.(path|querystring|header)\.(.+)$/.exec(name))
                .filter((match): match is RegExpExecArray => !!match)
                .filter(([, where, name]) => where === "path" ? !request.pathParameters[name]
                    : where === "querystring" ? !request.query.has(name)
                        : !Object.keys(request.headers).some(header => header.toLowerCase() === name.toLowerCase()))
                .map(([, , name]) => name);
            if (missing.length) {
                const message = `Missing required request parameters: [${missing.join(", ")}]`;
                return { type: "BAD_REQUEST_PARAMETERS", status: 400, message, validationErrorString: message };
            }
        }
        const modelName = method.requestModels?.[request.contentType] ?? method.requestModels?.$default;
        const check = validator.validateRequestBody && modelName ? schemaValidator(api, modelName) : undefined;
        if (!check) {
            return undefined;
        }
        let body: unknown;
        try {
            body = JSON.parse(request.body);
        } catch {
            return { type: "BAD_REQUEST_BODY", status: 400, message: "Invalid request body", validationErrorString: "[The request body is not valid JSON]" };
        }
        if (!check(body)) {
            return { type: "BAD_REQUEST_BODY", status: 400, message: "Invalid request body", validationErrorString: describeProblems(check.errors ?? []) };
        }
        return undefined;
    }

    async function lambdaProxy(api: RestApiModel, stage: string, integration: Json, matched: Matched, request: Json): Promise<Reply | GatewayError> {
        const functionArn = /\/functions\/(.+)\/invocations$/.exec(String(integration.uri))?.[1];
        const multiValueHeaders: Record<string, string[]> = {};
        for (let index = 0; index < request.rawHeaders.length; index += 2) {
            multiValueHeaders[request.rawHeaders[index]] = [...(multiValueHeaders[request.rawHeaders[index]] ?? []), request.rawHeaders[index + 1]];
        }
        const multiValueQuery: Record<string, string[]> = {};
        for (const [name, value] of request.query) {
            multiValueQuery[name] = [...(multiValueQuery[name] ?? []), value];
        }
        const now = new Date();
        const event = {
            resource: matched.resourcePath,
            path: request.path,
            httpMethod: request.method,
            headers: Object.keys(multiValueHeaders).length ? Object.fromEntries(Object.entries(multiValueHeaders).map(([name, values]) => [name, values[values.length - 1]])) : null,
            multiValueHeaders: Object.keys(multiValueHeaders).length ? multiValueHeaders : null,
            queryStringParameters: Object.keys(multiValueQuery).length ? Object.fromEntries(Object.entries(multiValueQuery).map(([name, values]) => [name, values[values.length - 1]])) : null,
            multiValueQueryStringParameters: Object.keys(multiValueQuery).length ? multiValueQuery : null,
            pathParameters: Object.keys(matched.pathParameters).length ? matched.pathParameters : null,
            stageVariables: null,
            requestContext: {
                accountId: ctx.accountId, apiId: api.id, resourceId: matched.resource.id, resourcePath: matched.resourcePath,
                httpMethod: request.method, path: `/${stage}${request.path}`, stage, protocol: "HTTP/1.1",
                requestId: request.requestId, extendedRequestId: request.requestId,
                requestTime: now.toUTCString(), requestTimeEpoch: now.getTime(),
                domainName: request.host, domainPrefix: String(request.host).split(".")[0],
                identity: { sourceIp: request.sourceIp, userAgent: request.userAgent ?? null, accessKey: null, accountId: null, caller: null, user: null, userArn: null, cognitoIdentityId: null, cognitoIdentityPoolId: null, cognitoAuthenticationProvider: null, cognitoAuthenticationType: null },
            },
            body: request.body === "" ? null : request.body,
            isBase64Encoded: false,
        };
        // Without integration credentials API Gateway invokes as its service principal, which the function's permissions must allow for this method's ARN (https://docs.aws.amazon.com/apigateway/latest/developerguide/arn-format-reference.html).
        const caller = integration.credentials ? { principal: ctx.identities.actingAs(integration.credentials, api.id) }
            : { principal: ctx.identities.service("apigateway.amazonaws.com"), context: { sourceArn: `arn:aws:execute-api:${ctx.region}:${ctx.accountId}:${api.id}/${stage}/${request.method}${request.path}`, sourceAccount: ctx.accountId } };
        try {
            await providers.authorizer?.authorize(caller.principal, "lambda", "Invoke", { FunctionName: functionArn ?? String(integration.uri) }, caller.context);
        } catch (error) {
            ctx.log({ kind: "error", message: `${request.method} ${request.path}: Execution failed due to configuration error: Invalid permissions on Lambda function (${(error as Error).message})` });
            return { type: "DEFAULT_5XX", status: 500, message: "Internal server error" };
        }
        let result: any;
        try {
            result = await ctx.functions.invoke(functionArn ?? String(integration.uri), event);
        } catch (error) {
            ctx.log({ kind: "error", message: `${request.method} ${request.path}: function ${functionArn} failed: ${(error as Error)?.message ?? error}` });
            return { type: "DEFAULT_5XX", status: 502, message: "Internal server error" };
        }
        if (!result || typeof result !== "object" || typeof result.statusCode !== "number" && !/^\d+$/.test(String(result.statusCode))) {
            ctx.log({ kind: "error", message: `${request.method} ${request.path}: malformed Lambda proxy response from ${functionArn}` });
            return { type: "DEFAULT_5XX", status: 502, message: "Internal server error" };
        }
        // API Gateway labels a proxy response without Content-Type as JSON.
        const headers: Record<string, string> = { "Content-Type": JSON_CONTENT };
        for (const [name, values] of Object.entries<any>(result.multiValueHeaders ?? {})) {
            headers[name] = [values].flat().join(",");
        }
        for (const [name, value] of Object.entries<any>(result.headers ?? {})) {
            headers[name] = String(value);
        }
        const body = typeof result.body === "string" ? result.body : result.body === undefined || result.body === null ? "" : JSON.stringify(result.body);
        if (Object.keys(headers).some(name => name !== "Content-Type" && name.toLowerCase() === "content-type")) {
            delete headers["Content-Type"];
        }
        return { status: Number(result.statusCode), headers, body: result.isBase64Encoded ? Buffer.from(body, "base64") : body };
    }

    /** The integration request body its templates make of the request, or a 415 when none applies and passthrough is off. */
    function integrationRequest(integration: Json, request: Json, scope: TemplateScope): string | GatewayError {
        const templates: Record<string, string> = integration.requestTemplates ?? {};
        const template = templates[request.contentType];
        if (template !== undefined) {
            return renderTemplate(template, scope);
        }
        const passthrough = integration.passthroughBehavior ?? "WHEN_NO_MATCH";
        if (passthrough === "NEVER" || (passthrough === "WHEN_NO_TEMPLATES" && Object.keys(templates).length)) {
            return { type: "UNSUPPORTED_MEDIA_TYPE", status: 415, message: "Unsupported Media Type" };
        }
        return request.body;
    }

    /** Maps a backend answer through the method's integration responses (selectionPattern on the status). */
    function integrationResponse(api: RestApiModel, key: string, backendStatus: number, backendBody: unknown, requestId: string): Reply | GatewayError {
        const responses = api.integrationResponses.get(key) ?? [];
        const selected = responses.find(response => response.selectionPattern && new RegExp(`^(?:${response.selectionPattern})$`).test(String(backendStatus)))
            ?? responses.find(response => !response.selectionPattern);
        if (!selected) {
            return { type: "DEFAULT_5XX", status: 500, message: "Internal server error" };
        }
        const headers: Record<string, string> = { "Content-Type": JSON_CONTENT };
        for (const [name, value] of Object.entries<string>(selected.responseParameters ?? {})) {
            const header = /^method\.response\.header\.(.+)$/.exec(name)?.[1];
            if (header && literal(value) !== undefined) {
                headers[header] = literal(value)!;
            }
        }
        const template: string | undefined = selected.responseTemplates?.[JSON_CONTENT];
        const rawBody = stringOf(backendBody);
        const body = template === undefined ? rawBody : renderTemplate(template, { body: rawBody, json: () => backendBody, context: { requestId } });
        return { status: Number(selected.statusCode), headers, body };
    }

    async function sqsIntegration(api: RestApiModel, key: string, integration: Json, request: Json, scope: TemplateScope): Promise<Reply | GatewayError> {
        const target = /:sqs:path\/(\d+)\/([^/]+)$/.exec(String(integration.uri));
        if (!target) {
            ctx.log({ kind: "error", message: `integration URI ${integration.uri} is not an SQS path the sandbox serves` });
            return { type: "DEFAULT_5XX", status: 500, message: "Internal server error" };
        }
        const rendered = integrationRequest(integration, request, scope);
        if (typeof rendered !== "string") {
            return rendered;
        }
        const form = new URLSearchParams(rendered);
        const [, account, queueName] = target;
        const queue = ctx.resources.find(resource => resource.type === "aws:sqs/queue:Queue" && resource.state.name === queueName);
        const queueUrl: string = queue?.state.url ?? `${ctx.endpoint}/${account}/${queueName}`;
        let status: number;
        let backendBody: Json;
        if (form.get("Action") !== "SendMessage") {
            status = 400;
            backendBody = { Error: { Code: "InvalidAction", Message: `The sandbox's SQS integration supports SendMessage, not ${form.get("Action")}` } };
        } else {
            try {
                const sent = await providers.call("sqs", "SendMessage", {
                    QueueUrl: queueUrl, MessageBody: form.get("MessageBody") ?? "",
                    ...(form.get("MessageGroupId") ? { MessageGroupId: form.get("MessageGroupId")! } : {}),
                    ...(form.get("MessageDeduplicationId") ? { MessageDeduplicationId: form.get("MessageDeduplicationId")! } : {}),
                    ...(form.get("DelaySeconds") ? { DelaySeconds: Number(form.get("DelaySeconds")) } : {}),
                // The integration's credentials role sends (https://docs.aws.amazon.com/apigateway/latest/api/API_Integration.html#apigw-Type-Integration-credentials).
                }, { principal: ctx.identities.actingAs(integration.credentials, api.id) });
                status = 200;
                backendBody = {
                    SendMessageResponse: {
                        SendMessageResult: { MessageId: sent.MessageId, MD5OfMessageBody: sent.MD5OfMessageBody, SequenceNumber: sent.SequenceNumber ?? null },
                        ResponseMetadata: { RequestId: request.requestId },
                    },
                };
            } catch (error) {
                const failure = asAwsError(error);
                status = failure.status;
                backendBody = { Error: { Code: failure.code, Message: failure.message } };
                ctx.log({ kind: "error", message: `${request.method} ${request.path}: SendMessage to ${queueName} failed: ${failure.code}: ${failure.message}` });
            }
        }
        return integrationResponse(api, key, status, backendBody, request.requestId);
    }

    function mockIntegration(api: RestApiModel, key: string, integration: Json, request: Json, scope: TemplateScope): Reply | GatewayError {
        const rendered = integrationRequest(integration, request, scope);
        if (typeof rendered !== "string") {
            return rendered;
        }
        let statusCode = 200;
        try {
            statusCode = Number(JSON.parse(rendered).statusCode ?? 200);
        } catch {
            // A mock template that is not JSON selects the default response, as API Gateway does.
        }
        return integrationResponse(api, key, statusCode, {}, request.requestId);
    }

    async function route(req: http.IncomingMessage, body: Buffer, apiId: string, stage: string, path: string, query: URLSearchParams): Promise<{ api?: RestApiModel; reply: Reply | GatewayError }> {
        const api = apis.get(apiId);
        const missingToken: GatewayError = { type: "MISSING_AUTHENTICATION_TOKEN", status: 403, message: "Missing Authentication Token" };
        if (!api || !api.stages.has(stage)) {
            return { api, reply: missingToken };
        }
        let segments: string[];
        try {
            segments = path.split("/").filter(Boolean).map(segment => decodeURIComponent(segment));
        } catch {
            return { api, reply: { type: "DEFAULT_4XX", status: 400, message: "Bad Request: malformed percent-encoding in the path" } };
        }
        const matched = matchResource(api, segments);
        const httpMethod = String(req.method).toUpperCase();
        const key = matched && [methodKey(matched.resource.id, httpMethod), methodKey(matched.resource.id, "ANY")].find(candidate => api.methods.has(candidate));
        if (!matched || !key) {
            return { api, reply: missingToken };
        }
        const method = api.methods.get(key)!;
        const requestId = randomUUID();
        const request = {
            method: httpMethod, path: `/${segments.map(encodeURIComponent).join("/")}`, query, rawHeaders: req.rawHeaders, headers: req.headers,
            body: body.toString("utf8"), requestId, pathParameters: matched.pathParameters,
            // Models and templates are picked by the whole header value, as LocalStack compares it; no header counts as JSON (AWS docs).
            contentType: req.headers["content-type"] ?? JSON_CONTENT,
            host: req.headers.host ?? "localhost", sourceIp: req.socket.remoteAddress ?? "127.0.0.1", userAgent: req.headers["user-agent"],
        };
        const invalid = validate(api, method, request);
        if (invalid) {
            return { api, reply: invalid };
        }
        const integration = api.integrations.get(key);
        const scope: TemplateScope = {
            body: request.body,
            json: () => JSON.parse(request.body || "{}"),
            context: { requestId, stage, httpMethod, resourcePath: matched.resourcePath, resourceId: matched.resource.id, apiId: api.id, accountId: ctx.accountId },
        };
        switch (integration?.type) {
            case "AWS_PROXY":
                return { api, reply: await lambdaProxy(api, stage, integration, matched, request) };
            case "AWS":
                return { api, reply: await sqsIntegration(api, key, integration, request, scope) };
            case "MOCK":
                return { api, reply: mockIntegration(api, key, integration, request, scope) };
            default:
                ctx.log({ kind: "error", message: `${httpMethod} ${path}: integration type ${integration?.type} is not served by the sandbox` });
                return { api, reply: { type: "DEFAULT_5XX", status: 500, message: "Internal server error" } };
        }
    }

    return {
        async handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<boolean> {
            const url = new URL(req.url ?? "/", "http://sandbox");
            const parts = /^\/restapis\/([^/]+)\/([^/]+)\/_user_request_(\/.*)?$/.exec(url.pathname);
            if (!parts) {
                return false;
            }
            const [, apiId, stage, path = "/"] = parts;
            const { api, reply } = await route(req, body, apiId, stage, path, url.searchParams);
            const answer = "type" in reply ? gatewayResponse(api, reply, randomUUID()) : reply;
            ctx.log({ kind: "http", message: `${req.method} ${path} → ${answer.status}` });
            res.writeHead(answer.status, answer.headers);
            res.end(answer.body);
            return true;
        },
    };
}
