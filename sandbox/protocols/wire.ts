import type * as http from "http";
import { AwsError, requestId } from "../cloud";
import type { ServiceModel } from "./model";

/** An HTTP request as the codecs see it: whole body read, URL parsed. */
export interface WireRequest {
    method: string;
    url: URL;
    headers: http.IncomingHttpHeaders;
    body: Buffer;
}

export interface WireResponse {
    status: number;
    headers: Record<string, string | number>;
    body?: Buffer | string;
}

/** An operation call decoded from the wire: what a provider runs. */
export interface OperationCall {
    operation: string;
    input: Record<string, any>;
}

/** A wire protocol of AWS's service models: decodes a request into an operation call, encodes its result or error. */
export interface ProtocolCodec {
    decode(request: WireRequest, model: ServiceModel): OperationCall;
    encodeResult(call: OperationCall, output: Record<string, any>, model: ServiceModel): WireResponse;
    encodeError(call: OperationCall | undefined, error: AwsError, model: ServiceModel): WireResponse;
}

export function writeResponse(res: http.ServerResponse, response: WireResponse): void {
    const body = response.body ?? "";
    res.writeHead(response.status, { "x-amzn-requestid": requestId(), "content-length": Buffer.byteLength(body), ...response.headers });
    res.end(body);
}

/** Any error as an AwsError: unexpected ones become the service's InternalFailure (500). */
export function asAwsError(error: unknown): AwsError {
    return error instanceof AwsError ? error : new AwsError("InternalFailure", (error as Error)?.message ?? String(error), 500);
}
