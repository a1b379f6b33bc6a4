import { expect } from "chai";
import { mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import type { RunningSandbox } from "../../sandbox/main";
import { aws, awsJson, requireAwsCli } from "./aws-cli";
import { programSandbox } from "./program-sandbox";

describe("the program's buckets as the AWS CLI shows them", function () {
    this.timeout(240000);
    let sandbox: RunningSandbox;
    let endpoint: string;
    let eventBucket: string;
    let buildsBucket: string;
    const deployed = (type: string, bucket: string) => sandbox.resources.find(resource => resource.type === type && resource.inputs.bucket === bucket)?.inputs;

    before(async () => {
        requireAwsCli();
        sandbox = await programSandbox();
        endpoint = sandbox.endpoint;
        eventBucket = String(sandbox.outputs.eventBucket);
        buildsBucket = String(sandbox.outputs.globalBuildsBucket);
    });

    it("answers versioning, encryption, public access block, policy and notifications as the program configured them", async () => {
        expect(await awsJson(endpoint, "s3api", "get-bucket-versioning", "--bucket", eventBucket)).to.deep.equal({ Status: "Enabled" });
        expect(await awsJson(endpoint, "s3api", "get-bucket-versioning", "--bucket", buildsBucket)).to.deep.equal({});
        const encryption = deployed("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", eventBucket)!.rules[0];
        const rule = (await awsJson(endpoint, "s3api", "get-bucket-encryption", "--bucket", eventBucket)).ServerSideEncryptionConfiguration.Rules[0];
        expect(rule.ApplyServerSideEncryptionByDefault.SSEAlgorithm).to.equal(encryption.applyServerSideEncryptionByDefault.sseAlgorithm);
        expect(await awsJson(endpoint, "s3api", "get-public-access-block", "--bucket", eventBucket)).to.deep.equal({
            PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
        });
        const policy = JSON.parse((await awsJson(endpoint, "s3api", "get-bucket-policy", "--bucket", eventBucket)).Policy);
        expect(policy.Statement.map((statement: any) => statement.Sid)).to.include("DenyInsecureTransport");
        const notification = deployed("aws:s3/bucketNotification:BucketNotification", eventBucket)!;
        const shown = await awsJson(endpoint, "s3api", "get-bucket-notification-configuration", "--bucket", eventBucket);
        expect((shown.TopicConfigurations ?? []).map((item: any) => item.TopicArn)).to.deep.equal((notification.topics ?? []).map((item: any) => item.topicArn));
        expect("EventBridgeConfiguration" in shown).to.equal(notification.eventbridge === true);
        const unknown = await aws(endpoint, "s3api", "get-bucket-lifecycle-configuration", "--bucket", eventBucket);
        expect(unknown.code).to.not.equal(0);
        expect(unknown.stderr).to.contain("NotImplemented");
    });

    it("keeps every version on the versioned event bucket: list-object-versions, versioned GET and DELETE, delete markers", async () => {
        const work = mkdtempSync(path.join(tmpdir(), "s3-versions-"));
        const key = "conformance/versioned.txt";
        const put = async (content: string) => {
            writeFileSync(path.join(work, "body.txt"), content);
            return (await awsJson(endpoint, "s3api", "put-object", "--bucket", eventBucket, "--key", key, "--body", path.join(work, "body.txt"))).VersionId as string;
        };
        const first = await put("first");
        const second = await put("second");
        expect(first).to.not.equal(second);
        const listed = await awsJson(endpoint, "s3api", "list-object-versions", "--bucket", eventBucket, "--prefix", key);
        expect(listed.Versions.map((version: any) => [version.VersionId, version.IsLatest])).to.deep.equal([[second, true], [first, false]]);
        const old = await awsJson(endpoint, "s3api", "get-object", "--bucket", eventBucket, "--key", key, "--version-id", first, path.join(work, "old.txt"));
        expect([old.VersionId, readFileSync(path.join(work, "old.txt"), "utf8")]).to.deep.equal([first, "first"]);

        const deleted = await awsJson(endpoint, "s3api", "delete-object", "--bucket", eventBucket, "--key", key);
        expect(deleted.DeleteMarker).to.equal(true);
        const gone = await aws(endpoint, "s3api", "get-object", "--bucket", eventBucket, "--key", key, path.join(work, "gone.txt"));
        expect(gone.stderr).to.contain("NoSuchKey");
        const withMarker = await awsJson(endpoint, "s3api", "list-object-versions", "--bucket", eventBucket, "--prefix", key);
        expect(withMarker.DeleteMarkers).to.have.length(1);
        expect(withMarker.DeleteMarkers[0]).to.include({ VersionId: deleted.VersionId, IsLatest: true });

        await awsJson(endpoint, "s3api", "delete-object", "--bucket", eventBucket, "--key", key, "--version-id", deleted.VersionId);
        await awsJson(endpoint, "s3api", "get-object", "--bucket", eventBucket, "--key", key, path.join(work, "restored.txt"));
        expect(readFileSync(path.join(work, "restored.txt"), "utf8")).to.equal("second");
    });
});
