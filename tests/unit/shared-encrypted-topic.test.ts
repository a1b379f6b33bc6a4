import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { EncryptedTopic } from "../../components/shared/encrypted-topic";
import { RecordedResource } from "../../sandbox/mock-cloud";
import { one, promiseOf, resourcesUnder } from "../support/pulumi";

/** The URNs a resource is also known by: its `aliases` option resolved by the SDK (Pulumi keeps them on the resource). */
function aliasUrns(resource: pulumi.Resource): Promise<string[]> {
    const aliases = (resource as unknown as { __aliases: pulumi.Output<string>[] }).__aliases;
    return Promise.all(aliases.map(promiseOf));
}

describe("shared EncryptedTopic", () => {
    const platform = { namePrefix: "unit", local: false };
    const formerUrn = (type: string, name: string) => `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::serverless-pipelines:test:Owner$${type}::${name}`;
    let alarmsTopic: EncryptedTopic;
    let managed: EncryptedTopic;
    let policy: pulumi.Resource;
    let subscription: pulumi.Resource;
    let resources: RecordedResource[];

    before(async () => {
        const owner = new pulumi.ComponentResource("serverless-pipelines:test:Owner", "et-unit");
        alarmsTopic = new EncryptedTopic("et-unit-alarms", { platform, topicName: "alarms", alarmsPublish: true }, { parent: owner });
        managed = new EncryptedTopic("et-unit-managed", { platform, topicName: "managed" }, { parent: owner });
        new EncryptedTopic("et-unit-shared", { platform, topicName: "shared", kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/shared" }, { parent: owner });
        policy = managed.allowPublishers([{ sid: "RolePublishes", principal: { AWS: "arn:aws:iam::123456789012:role/r" } }]);
        subscription = managed.subscribeEmail("et-unit-managed-email", "ops@example.com");
        resources = await resourcesUnder("et-unit");
    });

    const topic = (name: string) => one(resources, "aws:sns/topic:Topic", r => r.inputs.name === name).inputs;

    it("encrypts with a key of its own only when alarms publish and no key is given, else with the given or the AWS-managed key", () => {
        const key = one(resources, "aws:kms/key:Key");
        expect(key.name).to.equal("et-unit-alarms-key");
        expect(JSON.parse(key.inputs.policy).Statement.map((s: { Sid: string }) => s.Sid)).to.deep.equal(["AccountAdministersKey", "CloudWatchAlarmsPublish"]);
        expect(topic("unit-alarms").kmsMasterKeyId).to.equal(key.state.arn);
        expect(topic("unit-managed").kmsMasterKeyId).to.equal("alias/aws/sns");
        expect(topic("unit-shared").kmsMasterKeyId).to.equal("arn:aws:kms:us-east-1:123456789012:key/shared");
    });

    it("lets only the named publishers publish, and never without TLS", () => {
        const { inputs } = one(resources, "aws:sns/topicPolicy:TopicPolicy");
        expect(JSON.parse(inputs.policy).Statement.map((s: { Sid: string; Effect: string }) => [s.Sid, s.Effect])).to.deep.equal([
            ["RolePublishes", "Allow"], ["DenyPublishWithoutTls", "Deny"],
        ]);
    });

    it("keeps the URNs its resources had as children of the owning component, so a preview replaces nothing", async () => {
        expect(await aliasUrns(alarmsTopic.topic)).to.deep.equal([formerUrn("aws:sns/topic:Topic", "et-unit-alarms")]);
        expect(await aliasUrns(alarmsTopic.key!)).to.deep.equal([formerUrn("aws:kms/key:Key", "et-unit-alarms-key")]);
        expect(await aliasUrns(policy)).to.deep.equal([formerUrn("aws:sns/topicPolicy:TopicPolicy", "et-unit-managed-policy")]);
        expect(await aliasUrns(subscription)).to.deep.equal([formerUrn("aws:sns/topicSubscription:TopicSubscription", "et-unit-managed-email")]);
    });
});
