import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { LambdaRoute, RestApi, RestApiArgs, Route } from "../../components/shared/rest-api";
import { one, promiseOf, resourcesUnder } from "../support/pulumi";

const DEPLOYMENT = "aws:apigateway/deployment:Deployment";
const platform = { namePrefix: "unit", local: false };
const orderFunction = { name: "unit-order", invokeArn: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:unit-order/invocations" };
const getOrder: LambdaRoute = { kind: "lambda", method: "GET", path: "orders/{orderId}", function: orderFunction };
const routes: Route[] = [
    { kind: "lambda", method: "POST", path: "orders", function: orderFunction, requestSchema: { type: "object", required: ["id"] } },
    getOrder,
];

/** One child's inputs changed the way an edit to rest-api.ts would change them. */
function editing(type: string, logicalName: string, edit: (props: Record<string, any>) => Record<string, any>): pulumi.ResourceTransformation {
    return args => (args.type === type && args.name === logicalName ? { props: edit(args.props), opts: args.opts } : undefined);
}

/** The redeployment trigger of an API built from `routes` with the given changes. */
async function triggerOf(name: string, overrides: Partial<RestApiArgs> = {}, transformations: pulumi.ResourceTransformation[] = []): Promise<string> {
    const api = new RestApi(name, { platform, apiName: "orders-api", routes, ...overrides }, { transformations });
    await promiseOf(api.url);
    const trigger = one(await resourcesUnder(name), DEPLOYMENT).inputs.triggers.redeployment;
    expect(trigger, `${name} trigger`).to.match(/^[0-9a-f]{64}$/);
    return trigger;
}

describe("shared RestApi: the deployment follows what the stage serves", () => {
    let baseline: string;

    before(async () => {
        baseline = await triggerOf("ra-base");
    });

    it("gives an API with the same routes and settings the same trigger", async () => {
        expect(await triggerOf("ra-same")).to.equal(baseline);
    });

    it("redeploys when one request template changes (the CORS preflight's mock integration)", async () => {
        const trigger = await triggerOf("ra-template", {}, [editing("aws:apigateway/integration:Integration", "ra-template-options-orders",
            props => ({ ...props, requestTemplates: { "application/json": "{\"statusCode\": 204}" } }))]);
        expect(trigger).to.not.equal(baseline);
    });

    it("redeploys when a gateway response's template or headers change", async () => {
        const template = await triggerOf("ra-gateway-template", {}, [editing("aws:apigateway/response:Response", "ra-gateway-template-default-4xx",
            props => ({ ...props, responseTemplates: { "application/json": "{\"error\":$context.error.messageString}" } }))]);
        const headers = await triggerOf("ra-gateway-headers", {}, [editing("aws:apigateway/response:Response", "ra-gateway-headers-bad-request-body",
            props => ({ ...props, responseParameters: { ...props.responseParameters, "gatewayresponse.header.Cache-Control": "'no-store'" } }))]);
        expect([template, headers]).to.not.include(baseline);
        expect(template).to.not.equal(headers);
    });

    it("redeploys when the CORS origin changes", async () => {
        expect(await triggerOf("ra-cors", { corsAllowOrigin: "https://shop.example.com" })).to.not.equal(baseline);
    });

    it("redeploys when an integration URI, a method response, a validator, a model or the authorization changes", async () => {
        const otherFunction = { ...orderFunction, invokeArn: orderFunction.invokeArn.replace("unit-order", "unit-order-v2") };
        const triggers = [
            await triggerOf("ra-uri", { routes: [routes[0], { ...getOrder, function: otherFunction }] }),
            await triggerOf("ra-method-response", {}, [editing("aws:apigateway/methodResponse:MethodResponse", "ra-method-response-options-orders",
                props => ({ ...props, statusCode: "200" }))]),
            await triggerOf("ra-validator", {}, [editing("aws:apigateway/requestValidator:RequestValidator", "ra-validator-validator",
                props => ({ ...props, validateRequestParameters: false }))]),
            await triggerOf("ra-model", { routes: [{ ...routes[0], requestSchema: { type: "object", required: ["id", "total"] } }, routes[1]] }),
            await triggerOf("ra-authorization", {}, [editing("aws:apigateway/method:Method", "ra-authorization-get-orders-orderId",
                props => ({ ...props, authorization: "AWS_IAM" }))]),
        ];
        expect(triggers).to.not.include(baseline);
        expect(new Set(triggers).size).to.equal(triggers.length);
    });

    it("keeps stage-only settings (throttling, tracing) out of the trigger: the stage applies them without a new deployment", async () => {
        expect(await triggerOf("ra-throttled", { throttling: { rateLimit: 5, burstLimit: 10 }, platform: { ...platform, tracing: false } })).to.equal(baseline);
    });

    it("covers an SQS route's integration credentials and request template, and points the stage at the deployment", async () => {
        const queueRoute: Route = { kind: "sqs", method: "POST", path: "jobs", queue: { arn: "arn:aws:sqs:us-east-1:123456789012:jobs" } };
        const roleNamed = (api: string, roleName: string) => editing("aws:iam/role:Role", `${api}-post-jobs-role`, props => ({ ...props, name: roleName }));
        const sqsTrigger = (api: string, roleName: string, ...more: pulumi.ResourceTransformation[]) =>
            triggerOf(api, { routes: [queueRoute] }, [roleNamed(api, roleName), ...more]);
        const first = await sqsTrigger("ra-sqs-a", "jobs-gateway");
        expect(await sqsTrigger("ra-sqs-b", "jobs-gateway")).to.equal(first);
        expect(await sqsTrigger("ra-sqs-c", "jobs-gateway-v2")).to.not.equal(first);
        expect(await sqsTrigger("ra-sqs-d", "jobs-gateway", editing("aws:apigateway/integration:Integration", "ra-sqs-d-post-jobs",
            props => ({ ...props, requestTemplates: { "application/json": "Action=SendMessage&MessageBody=$input.body" } })))).to.not.equal(first);
        const resources = await resourcesUnder("ra-sqs-a");
        expect(one(resources, "aws:apigateway/stage:Stage").inputs.deployment).to.equal(one(resources, DEPLOYMENT).id);
    });
});
