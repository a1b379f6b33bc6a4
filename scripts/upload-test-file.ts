import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { loadStackOutputs, requireOutput } from "./stack-outputs";

/** Uploads a small JSON file under the rule's prefix to the event bucket (AWS_ENDPOINT_URL targets LocalStack). */
async function main(): Promise<void> {
    const outputs = loadStackOutputs();
    const bucket = requireOutput(outputs, "eventBucket");
    const prefix = process.env.EVENT_PREFIX ?? "uploads/";
    const key = `${prefix}test-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
    const body = JSON.stringify({ message: "test upload", at: new Date().toISOString() });
    const s3 = new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL) });
    const result = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "application/json" }));
    console.log(`Uploaded s3://${bucket}/${key} (${body.length} bytes, version ${result.VersionId ?? "none"})`);
    console.log("Next:");
    console.log(`  events table ${requireOutput(outputs, "eventsTable")}: one record, source s3 or eventbridge, type s3:ObjectCreated, subject s3://${bucket}/${key}`);
    console.log(`  aws dynamodb scan --table-name ${requireOutput(outputs, "eventsTable")} --filter-expression "subject = :s" --expression-attribute-values '{":s":{"S":"s3://${bucket}/${key}"}}'`);
    console.log(`  failures land in ${requireOutput(outputs, "eventDlqUrl")}`);
}

main().catch(error => {
    console.error((error as Error).message);
    process.exit(1);
});
