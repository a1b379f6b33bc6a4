import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";

/** One resource as Pulumi would register it: its type, logical name, inputs and the state the cloud answered with. */
export interface RecordedResource {
    type: string;
    name: string;
    urn: string;
    id: string;
    inputs: Record<string, any>;
    state: Record<string, any>;
}

export interface MockCloudOptions {
    region: string;
    accountId: string;
    /** Service endpoint (LocalStack or sandbox); queue URLs point at it when set. */
    endpoint?: string;
}

function shortHash(text: string, length = 10): string {
    return createHash("sha1").update(text).digest("hex").slice(0, length);
}

/**
 * Pulumi runtime mocks that answer like AWS would: physical names, ARNs, queue URLs, API ids and
 * invoke URLs derived deterministically from each resource's inputs, and every registration recorded.
 */
export class MockCloud implements pulumi.runtime.Mocks {
    public readonly resources: RecordedResource[] = [];

    constructor(private readonly options: MockCloudOptions) {}

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
        const { id, state } = this.computeState(args.type, args.name, args.inputs);
        this.resources.push({ type: args.type, name: args.name, urn: `urn:pulumi:mock::${args.type}::${args.name}`, id, inputs: args.inputs, state });
        return { id, state };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        const { region, accountId } = this.options;
        switch (args.token) {
            case "aws:index/getCallerIdentity:getCallerIdentity":
                return { accountId, arn: `arn:aws:iam::${accountId}:user/mock`, userId: "mock", id: accountId };
            case "aws:index/getRegion:getRegion":
                return { name: region, region, id: region, description: region, endpoint: `ec2.${region}.amazonaws.com` };
            case "aws:index/getPartition:getPartition":
                return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws", reverseDnsPrefix: "com.amazonaws" };
            default:
                return args.inputs;
        }
    }

    private computeState(type: string, logicalName: string, inputs: Record<string, any>): { id: string; state: Record<string, any> } {
        const { region, accountId, endpoint } = this.options;
        const autoName = `${logicalName}-${shortHash(logicalName, 7)}`;
        const name: string = inputs.name ?? autoName;
        const arnOf = (service: string, resource: string) => `arn:aws:${service}:${region}:${accountId}:${resource}`;
        switch (type) {
            case "aws:s3/bucket:Bucket": {
                const bucket: string = inputs.bucket ?? `${inputs.bucketPrefix ?? logicalName}${shortHash(logicalName, 8)}`;
                return { id: bucket, state: { ...inputs, bucket, arn: `arn:aws:s3:::${bucket}`, region, bucketDomainName: `${bucket}.s3.amazonaws.com`, bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com` } };
            }
            case "aws:sqs/queue:Queue": {
                const url = endpoint ? `${endpoint}/${accountId}/${name}` : `https://sqs.${region}.amazonaws.com/${accountId}/${name}`;
                return { id: url, state: { ...inputs, name, url, arn: arnOf("sqs", name) } };
            }
            case "aws:sns/topic:Topic": {
                const arn = arnOf("sns", name);
                return { id: arn, state: { ...inputs, name, arn } };
            }
            case "aws:sns/topicSubscription:TopicSubscription": {
                const arn = `${inputs.topic}:${shortHash(logicalName, 8)}`;
                return { id: arn, state: { ...inputs, arn } };
            }
            case "aws:dynamodb/table:Table":
                return { id: name, state: { ...inputs, name, arn: arnOf("dynamodb", `table/${name}`) } };
            case "aws:lambda/function:Function": {
                const arn = arnOf("lambda", `function:${name}`);
                return { id: name, state: { ...inputs, name, arn, qualifiedArn: `${arn}:$LATEST`, version: "$LATEST", invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${arn}/invocations` } };
            }
            case "aws:lambda/eventSourceMapping:EventSourceMapping": {
                const uuid = shortHash(logicalName, 32).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
                return { id: uuid, state: { ...inputs, uuid, arn: arnOf("lambda", `event-source-mapping:${uuid}`) } };
            }
            case "aws:iam/role:Role":
                return { id: name, state: { ...inputs, name, arn: `arn:aws:iam::${accountId}:role/${name}`, uniqueId: `AROA${shortHash(name, 16).toUpperCase()}` } };
            case "aws:iam/policy:Policy":
                return { id: `arn:aws:iam::${accountId}:policy/${name}`, state: { ...inputs, name, arn: `arn:aws:iam::${accountId}:policy/${name}` } };
            case "aws:sfn/stateMachine:StateMachine": {
                const arn = arnOf("states", `stateMachine:${name}`);
                return { id: arn, state: { ...inputs, name, arn } };
            }
            case "aws:cloudwatch/logGroup:LogGroup":
                return { id: name, state: { ...inputs, name, arn: arnOf("logs", `log-group:${name}`) } };
            case "aws:cloudwatch/eventRule:EventRule":
                return { id: name, state: { ...inputs, name, arn: arnOf("events", `rule/${name}`) } };
            case "aws:cloudwatch/metricAlarm:MetricAlarm":
                return { id: name, state: { ...inputs, name, arn: arnOf("cloudwatch", `alarm:${name}`) } };
            case "aws:kms/key:Key": {
                const keyId = shortHash(logicalName, 32).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
                return { id: keyId, state: { ...inputs, keyId, arn: arnOf("kms", `key/${keyId}`) } };
            }
            case "aws:apigateway/restApi:RestApi": {
                const id = shortHash(logicalName, 10);
                return { id, state: { ...inputs, name, rootResourceId: shortHash(`${logicalName}/`, 10), executionArn: arnOf("execute-api", id), arn: `arn:aws:apigateway:${region}::/restapis/${id}` } };
            }
            case "aws:apigateway/stage:Stage": {
                const invokeUrl = `https://${inputs.restApi}.execute-api.${region}.amazonaws.com/${inputs.stageName}`;
                return { id: `ags-${inputs.restApi}-${inputs.stageName}`, state: { ...inputs, invokeUrl, executionArn: arnOf("execute-api", `${inputs.restApi}/${inputs.stageName}`) } };
            }
            default:
                return { id: `${autoName}-id`, state: { ...inputs, ...(type.startsWith("aws:") && !("arn" in inputs) ? { arn: arnOf(type.split(":")[1].split("/")[0], autoName) } : {}) } };
        }
    }
}
