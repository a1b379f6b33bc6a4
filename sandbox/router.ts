import type * as http from "http";
import { AwsError } from "./cloud";
import { AccessDeniedError, Authorizer, CallContext } from "./iam/authorizer";
import { serviceDenial } from "./iam/denials";
import type { Principal } from "./iam/identity";
import { errorModel } from "./protocols/model";
import type { ProtocolName, ServiceProvider } from "./provider";

/** X-Amz-Target prefixes of the JSON services the sandbox serves. */
const TARGET_PREFIXES: Record<string, string> = {
    DynamoDB_20120810: "dynamodb", AmazonSQS: "sqs", AWSEvents: "events", AWSStepFunctions: "states", GraniteServiceVersion20100801: "monitoring", Logs_20140328: "logs",
};
/** awsQuery `Version`s: the API version names the service when a request is unsigned. */
const QUERY_VERSIONS: Record<string, string> = { "2012-11-05": "sqs", "2010-03-31": "sns", "2011-06-15": "sts", "2010-05-08": "iam", "2010-08-01": "monitoring" };

/** The SigV4 credential scope's service: `Credential=<key>/<date>/<region>/<service>/aws4_request`, in the header or a presigned URL. */
function signingName(headers: http.IncomingHttpHeaders, url: URL): string | undefined {
    const credential = /Credential=([^,\s]+)/.exec(String(headers.authorization ?? ""))?.[1] ?? url.searchParams.get("X-Amz-Credential") ?? undefined;
    return credential?.split("/")[3];
}

/** The form of an awsQuery request: the body when form-encoded, otherwise the URL's query. */
export function queryForm(headers: http.IncomingHttpHeaders, url: URL, body: Buffer): URLSearchParams {
    return String(headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded") ? new URLSearchParams(body.toString("utf8")) : url.searchParams;
}

/**
 * Picks the service a request is for as AWS's front ends do (LocalStack: aws/protocol/service_router.py):
 * the signing name, then the X-Amz-Target prefix, then well-known paths and hosts, then the query `Version`,
 * and S3 for everything else (its requests carry nothing but a path).
 */
export function serviceOf(method: string, headers: http.IncomingHttpHeaders, url: URL, body: Buffer): string {
    const signed = signingName(headers, url);
    if (signed) {
        return signed;
    }
    const target = TARGET_PREFIXES[String(headers["x-amz-target"] ?? "").split(".")[0]];
    if (target) {
        return target;
    }
    if (/^\/restapis\/[^/]+\/[^/]+\/_user_request_/.test(url.pathname)) {
        return "execute-api";
    }
    if (url.pathname.startsWith("/2015-03-31/functions") || url.pathname.startsWith("/2015-03-31/event-source-mappings")) {
        return "lambda";
    }
    const host = /^(sqs|sns|sts|lambda|dynamodb|states|events|monitoring|logs)\./.exec(String(headers.host ?? ""))?.[1];
    if (host) {
        return host;
    }
    const form = method === "POST" || method === "GET" ? queryForm(headers, url, body) : undefined;
    const version = form?.has("Action") ? QUERY_VERSIONS[form.get("Version") ?? ""] : undefined;
    return version ?? "s3";
}

/** Which of a provider's protocols the request speaks: JSON by its content type, query by form or `Action`, else REST. */
export function protocolOf(headers: http.IncomingHttpHeaders, url: URL, provider: ServiceProvider): ProtocolName | undefined {
    const codecs = provider.api?.codecs ?? {};
    const contentType = String(headers["content-type"] ?? "");
    if (codecs.json && (contentType.startsWith("application/x-amz-json") || headers["x-amz-target"])) {
        return "json";
    }
    if (codecs.query && (contentType.startsWith("application/x-www-form-urlencoded") || url.searchParams.has("Action"))) {
        return "query";
    }
    return codecs.rest ? "rest" : undefined;
}

/** Who makes an in-process call: a role session, or a service principal acting for a source (aws:SourceArn). */
export interface Caller {
    principal: Principal;
    context?: CallContext;
}

/** In-process calls made always as the same caller. */
export interface ProviderView {
    call(signingName: string, operation: string, input: Record<string, any>): Promise<Record<string, any>>;
    get(signingName: string): ServiceProvider | undefined;
}

/** The providers of one sandbox, found by signing name or by an ARN's service part, for the router and for each other. */
export class ProviderRegistry {
    private readonly bySigningName = new Map<string, ServiceProvider>();
    readonly providers: ServiceProvider[] = [];

    constructor(providers: ServiceProvider[], readonly authorizer?: Authorizer) {
        providers.forEach(provider => this.add(provider));
    }

    /** Registers a provider; one that calls others gets the registry first, so it is added after them. */
    add(provider: ServiceProvider): void {
        this.providers.push(provider);
        this.bySigningName.set(provider.signingName, provider);
    }

    /**
     * Runs one operation of another provider in process, never over HTTP, as the caller's principal: authorized first,
     * then input and output in the API's shapes, failures as AwsError named as the service model names them (what SDKs
     * report as the error's name).
     */
    async call(signingName: string, operation: string, input: Record<string, any>, caller: Caller): Promise<Record<string, any>> {
        const provider = this.get(signingName);
        if (!provider?.call) {
            throw new AwsError("NotImplemented", `The sandbox cannot call ${signingName} ${operation} in process.`, 501);
        }
        try {
            await this.authorizer?.authorize(caller.principal, signingName, operation, input, caller.context);
            return await provider.call({ operation, input });
        } catch (caught) {
            const error = caught instanceof AccessDeniedError ? serviceDenial(signingName, caught) : caught;
            if (error instanceof AwsError && provider.api) {
                throw new AwsError(errorModel(provider.api.model, error.code, error.status).name, error.message, error.status);
            }
            throw error;
        }
    }

    get(signingName: string): ServiceProvider | undefined {
        return this.bySigningName.get(signingName);
    }

    /** The registry as one caller uses it, so a reader such as the console names its principal once. */
    as(caller: Caller): ProviderView {
        return { call: (signingName, operation, input) => this.call(signingName, operation, input, caller), get: signingName => this.get(signingName) };
    }

    /** The provider owning an ARN (`arn:aws:<service>:...`). */
    byArn(arn: string): ServiceProvider | undefined {
        return this.get(arn.split(":")[2] ?? "");
    }
}
