import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { randomUUID } from "crypto";
import { ApiEventMessage } from "../functions/events/event-format";
import { loadStackOutputs, requireOutput } from "./stack-outputs";

/** Publishes one manual event to the event topic in the format `POST /events` uses, then says where to look. */
async function main(): Promise<void> {
    const outputs = loadStackOutputs();
    const topicArn = requireOutput(outputs, "eventTopicArn");
    const message: ApiEventMessage = {
        kind: "api-event",
        eventId: randomUUID(),
        type: process.env.EVENT_TYPE ?? "manual.trigger",
        subject: process.env.EVENT_SUBJECT ?? "trigger-event script",
        payload: { triggeredBy: "scripts/trigger-event.ts", at: new Date().toISOString() },
        publishedAt: new Date().toISOString(),
    };
    const sns = new SNSClient({});
    await sns.send(new PublishCommand({
        TopicArn: topicArn,
        Message: JSON.stringify(message),
        MessageAttributes: { source: { DataType: "String", StringValue: "api" }, eventType: { DataType: "String", StringValue: message.type } },
    }));
    const apiUrl = requireOutput(outputs, "eventApiUrl");
    console.log(`Published ${message.type} as event ${message.eventId} to ${topicArn}`);
    console.log("Next:");
    console.log(`  curl -s ${apiUrl}/events/${message.eventId}    # status RECEIVED, then CONFIRMED`);
    console.log(`  events table ${requireOutput(outputs, "eventsTable")}, confirmation queue ${requireOutput(outputs, "confirmationQueueUrl")}`);
    console.log(`  or through the API: curl -s -X POST ${apiUrl}/events -H 'Content-Type: application/json' -d '{"type":"order.created","payload":{"orderId":"1"}}'`);
}

main().catch(error => {
    console.error((error as Error).message);
    process.exit(1);
});
