import type * as http from "http";
import { requestId, SandboxContext, xmlEscape } from "../../cloud";
import { queryForm } from "../../router";
import type { ServiceProvider } from "../../provider";

const XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/";

/**
 * STS GetCallerIdentity (awsQuery): the sandbox's one account and the access key's user. Written out by hand:
 * no installed SDK v3 client ships STS's schemas (@aws-sdk/nested-clients/sts exports none).
 */
export class StsService implements ServiceProvider {
    readonly signingName = "sts";

    constructor(private readonly ctx: SandboxContext) {}

    async serve(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<void> {
        const form = queryForm(req.headers, new URL(req.url ?? "/", "http://sandbox"), body);
        const action = form.get("Action") ?? "";
        const answer = action === "GetCallerIdentity"
            ? { status: 200, xml: `<GetCallerIdentityResponse xmlns="${XMLNS}"><GetCallerIdentityResult><Arn>arn:aws:iam::${this.ctx.accountId}:root</Arn><UserId>${this.ctx.accountId}</UserId><Account>${this.ctx.accountId}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>` }
            : { status: 400, xml: `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>${xmlEscape(`The sandbox's STS does not serve ${action}.`)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>` };
        res.writeHead(answer.status, { "content-type": "text/xml", "content-length": Buffer.byteLength(answer.xml) });
        res.end(answer.xml);
    }
}
