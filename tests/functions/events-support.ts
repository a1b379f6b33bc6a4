import type { APIGatewayProxyEvent, Context, SQSEvent, SQSRecord } from "aws-lambda";
import { AwsStub, mockClient } from "aws-sdk-client-mock";
import { EventPipeline } from "../../components/event-pipeline";
import { RecordedResource } from "../../sandbox/mock-cloud";
import { PlainArchive } from "../../sandbox/synth";
import { archiveOf, one, promiseOf, resourcesUnder } from "../support/pulumi";

export const TABLE = "fn-events";
export const CONFIRMATION_QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/fn-events-confirmations";
export const TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:fn-events";

/** The archives of an EventPipeline built under mocks, by function base name. */
export async function eventArchives(name: string): Promise<Record<string, PlainArchive>> {
    const pipeline = new EventPipeline(name, { platform: { namePrefix: name, local: true } });
    await promiseOf(pipeline.apiUrl);
    const resources: RecordedResource[] = await resourcesUnder(name);
    const archives: Record<string, PlainArchive> = {};
    for (const base of ["event-processor", "confirmation-sender", "event-api", "event-reader"]) {
        archives[base] = archiveOf(one(resources, "aws:lambda/function:Function", fn => fn.inputs.name === `${name}-${base}`));
    }
    return archives;
}

export function sqsRecord(messageId: string, body: string, sentTimestamp = "1767225600000"): SQSRecord {
    return {
        messageId, receiptHandle: `rh-${messageId}`, body, md5OfBody: "", eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:fn-events-processing", awsRegion: "us-east-1",
        attributes: { ApproximateReceiveCount: "1", SentTimestamp: sentTimestamp, SenderId: "sns", ApproximateFirstReceiveTimestamp: sentTimestamp },
        messageAttributes: {},
    };
}

export function sqsEvent(...records: SQSRecord[]): SQSEvent {
    return { Records: records };
}

export const lambdaContext = { functionName: "test", awsRequestId: "req", getRemainingTimeInMillis: () => 30000 } as unknown as Context;

/** The raw S3 notification SNS delivers for one upload (key URL-encoded as S3 sends it). */
export function s3Notification(bucket: string, encodedKey: string, versionId: string, sequencer = "0066A1B2C3D4E5F601"): string {
    return JSON.stringify({
        Records: [{
            eventVersion: "2.1", eventSource: "aws:s3", awsRegion: "us-east-1", eventTime: "2026-01-01T00:00:00.000Z",
            eventName: "ObjectCreated:Put",
            s3: { s3SchemaVersion: "1.0", bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` }, object: { key: encodedKey, size: 42, eTag: "abc", versionId, sequencer } },
        }],
    });
}

/** The EventBridge "Object Created" event for the same upload (key not encoded). */
export function eventBridgeObjectCreated(bucket: string, key: string, versionId: string, sequencer = "0066A1B2C3D4E5F601"): string {
    return JSON.stringify({
        version: "0", id: "eb-1", "detail-type": "Object Created", source: "aws.s3", account: "123456789012",
        time: "2026-01-01T00:00:00Z", region: "us-east-1", resources: [`arn:aws:s3:::${bucket}`],
        detail: { version: "0", bucket: { name: bucket }, object: { key, size: 42, etag: "abc", "version-id": versionId, sequencer }, "request-id": "r", requester: "123456789012", reason: "PutObject" },
    });
}

export function apiEventMessage(eventId: string, type = "order.created"): string {
    return JSON.stringify({ kind: "api-event", eventId, type, subject: "order-1", payload: { amount: 3 }, publishedAt: "2026-01-01T00:00:00.000Z" });
}

/** An API Gateway proxy event with the fields the events API reads. */
export function proxyEvent(body: string | null, headers: Record<string, string> = { "Content-Type": "application/json" }, pathParameters: Record<string, string> | null = null): APIGatewayProxyEvent {
    return { body, headers, pathParameters, isBase64Encoded: false, httpMethod: "POST", path: "/events" } as unknown as APIGatewayProxyEvent;
}

/**
 * Mocks a client class only while the calling suite runs. mockClient stubs the shared prototype, so a mock
 * another file created at load time is put back afterwards instead of being replaced for the whole run.
 */
export function suiteMock(client: any): () => AwsStub<any, any, any> {
    let mock: AwsStub<any, any, any> | undefined;
    let previousSend: unknown;
    before(() => {
        previousSend = client.prototype.send;
        mock = mockClient(client);
    });
    after(() => {
        mock?.restore();
        client.prototype.send = previousSend;
    });
    return () => {
        if (!mock) {
            throw new Error("suiteMock used outside its suite");
        }
        return mock;
    };
}
