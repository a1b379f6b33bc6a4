import type * as http from "http";
import { randomUUID } from "crypto";
import { AwsError, matchesPattern, resourcesOfType, SandboxContext, SandboxService, sendJson } from "../cloud";
import { deliverAs } from "../iam/deliveries";
import type { SnsService } from "./sns";
import type { SqsService } from "./sqs";

export interface EventBridgeEvent {
    version: "0"; id: string; "detail-type": string; source: string; account: string; time: string; region: string; resources: string[]; detail: unknown;
}

interface Rule { name: string; bus: string; pattern: Record<string, unknown>; enabled: boolean; targets: { arn: string; input?: string }[] }

/** EventBridge PutEvents (AWS JSON 1.1) routed by the synthesized rules' event patterns to SNS, Lambda and SQS targets. */
export class EventBridgeService implements SandboxService {
    private readonly rules: Rule[];

    constructor(private readonly ctx: SandboxContext, private readonly sns: SnsService, private readonly sqs: SqsService) {
        const targets = resourcesOfType(ctx.resources, "aws:cloudwatch/eventTarget:EventTarget");
        this.rules = resourcesOfType(ctx.resources, "aws:cloudwatch/eventRule:EventRule").map(rule => ({
            name: rule.state.name,
            bus: rule.inputs.eventBusName ?? "default",
            pattern: rule.inputs.eventPattern ? JSON.parse(rule.inputs.eventPattern) : {},
            enabled: rule.inputs.state !== "DISABLED" && rule.inputs.isEnabled !== false,
            targets: targets.filter(target => target.inputs.rule === rule.state.name).map(target => ({ arn: target.inputs.arn, input: target.inputs.input })),
        }));
    }

    /** Routes one event on a bus (default: "default") to every enabled rule that matches it. */
    put(entry: { source: string; detailType: string; detail: unknown; resources?: string[]; bus?: string }): string {
        const event: EventBridgeEvent = {
            version: "0", id: randomUUID(), "detail-type": entry.detailType, source: entry.source, account: this.ctx.accountId,
            time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"), region: this.ctx.region, resources: entry.resources ?? [], detail: entry.detail,
        };
        const bus = (entry.bus ?? "default").split("/").pop();
        for (const rule of this.rules.filter(item => item.enabled && item.bus === bus && matchesPattern(item.pattern, event as unknown as Record<string, unknown>))) {
            this.ctx.log({ kind: "event", message: `eventbridge rule ${rule.name} matched ${event.source} ${event["detail-type"]}` });
            for (const target of rule.targets) {
                this.deliver(rule, target.arn, target.input ?? JSON.stringify(event));
            }
        }
        return event.id;
    }

    async handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<boolean> {
        const target = String(req.headers["x-amz-target"] ?? "");
        if (!target.startsWith("AWSEvents.")) {
            return false;
        }
        try {
            if (target !== "AWSEvents.PutEvents") {
                throw new AwsError("UnknownOperationException", `Unsupported operation ${target}`);
            }
            const input = JSON.parse(body.toString("utf8"));
            const entries = (input.Entries as any[]).map(entry => ({
                EventId: this.put({ source: entry.Source, detailType: entry.DetailType, detail: JSON.parse(entry.Detail ?? "{}"), resources: entry.Resources, bus: entry.EventBusName }),
            }));
            sendJson(res, 200, { FailedEntryCount: 0, Entries: entries }, "application/x-amz-json-1.1");
        } catch (error) {
            const code = error instanceof AwsError ? error.code : "ValidationException";
            sendJson(res, 400, { __type: code, message: (error as Error).message }, "application/x-amz-json-1.1");
        }
        return true;
    }

    /** EventBridge delivers as events.amazonaws.com for the rule, which the target's resource policy must allow (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html). */
    private deliver(rule: Rule, arn: string, message: string): void {
        const service = arn.split(":")[2];
        const source = `arn:aws:events:${this.ctx.region}:${this.ctx.accountId}:rule/${rule.bus === "default" ? "" : `${rule.bus}/`}${rule.name}`;
        if (service === "sns") {
            deliverAs(this.ctx, "events.amazonaws.com", source, { service: "sns", operation: "Publish", input: { TopicArn: arn } }, () => this.sns.publish(arn, message));
        } else if (service === "sqs") {
            deliverAs(this.ctx, "events.amazonaws.com", source, { service: "sqs", operation: "SendMessage", input: { QueueUrl: arn } }, () => this.sqs.send(arn, message));
        } else if (service === "lambda") {
            deliverAs(this.ctx, "events.amazonaws.com", source, { service: "lambda", operation: "Invoke", input: { FunctionName: arn } }, () => this.ctx.functions.invokeAsync(arn, JSON.parse(message)));
        } else {
            this.ctx.log({ kind: "error", message: `eventbridge target ${arn} is not supported by the sandbox` });
        }
    }
}
