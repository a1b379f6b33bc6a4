import { AwsError } from "../cloud";
import { xmlError } from "../protocols/rest-xml";
import type { WireResponse } from "../protocols/wire";
import type { AccessDeniedError } from "./authorizer";

/**
 * The error each service answers a denied call with (error code and HTTP status), as its API reference names it:
 * S3 AccessDenied 403 (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html), SQS AccessDenied 403
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html), SNS AuthorizationError 403,
 * DynamoDB, Step Functions and EventBridge AccessDeniedException 400, Lambda AccessDeniedException 403 (each API's CommonErrors).
 */
const DENIALS: Record<string, { code: string; status: number }> = {
    s3: { code: "AccessDenied", status: 403 },
    sqs: { code: "AccessDenied", status: 403 },
    sns: { code: "AuthorizationError", status: 403 },
    dynamodb: { code: "AccessDeniedException", status: 400 },
    states: { code: "AccessDeniedException", status: 400 },
    events: { code: "AccessDeniedException", status: 400 },
    lambda: { code: "AccessDeniedException", status: 403 },
    sts: { code: "AccessDenied", status: 403 },
};

/** A denied KMS call made on the caller's behalf surfaces as the service's own KMS error (SQS KmsAccessDenied, SNS KMSAccessDenied). */
const KMS_DENIALS: Record<string, string> = { sqs: "KmsAccessDenied", sns: "KMSAccessDenied" };

/** The denial as the service's error, for its codec or an in-process caller (ProviderRegistry.call). */
export function serviceDenial(service: string, denial: AccessDeniedError): AwsError {
    if (denial.action.startsWith("kms:") && KMS_DENIALS[service]) {
        return new AwsError(KMS_DENIALS[service], `${denial.message} (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException)`, 400);
    }
    const shape = DENIALS[service] ?? { code: "AccessDenied", status: 403 };
    return new AwsError(shape.code, denial.message, shape.status);
}

/** The denial on the wire, for the services that write their own responses (S3, DynamoDB, Step Functions, EventBridge, Lambda). */
export function deniedResponse(service: string, method: string, denial: AccessDeniedError): WireResponse {
    const error = serviceDenial(service, denial);
    switch (service) {
        case "s3":
            return xmlError(method, error.status, error.code, error.message);
        case "lambda":
            return { status: error.status, headers: { "content-type": "application/json", "x-amzn-errortype": error.code }, body: JSON.stringify({ Type: "User", Message: error.message }) };
        default: {
            const contentType = service === "events" ? "application/x-amz-json-1.1" : "application/x-amz-json-1.0";
            return { status: error.status, headers: { "content-type": contentType }, body: JSON.stringify({ __type: `com.amazon.coral.service#${error.code}`, message: error.message }) };
        }
    }
}
