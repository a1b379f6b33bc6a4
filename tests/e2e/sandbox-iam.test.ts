import { expect } from "chai";
import { getJson, postJson } from "../../scripts/smoke";
import { awsCli, requireAwsCliV2 } from "./aws-cli-v2";
import { ProgramSandbox, startProgramSandbox } from "./program-sandbox";
import { eventually } from "./sandbox-support";

/** The event processor's grant to write the events table (components/event-pipeline.ts). */
const REMOVED = "events-processor-role/StoreEventsOnce";

describe("sandbox: IAM enforced on the real program", function () {
    this.timeout(180000);
    let sandbox: ProgramSandbox;

    before(async () => {
        await requireAwsCliV2();
        sandbox = await startProgramSandbox({ iam: { withoutStatements: [REMOVED] } });
    });

    after(async () => {
        await sandbox?.close();
    });

    it(`without ${REMOVED}, POST /events is accepted but its consumer is denied dynamodb:PutItem, and the event is never stored`, async () => {
        const { outputs } = sandbox;
        const published = await postJson(`${outputs.eventApiUrl}/events`, { type: "iam.test", payload: { removed: REMOVED } });
        expect(published.status, JSON.stringify(published.body)).to.equal(202);
        const denial = await eventually("the consumer's denied write", () => sandbox.events.find(event => event.kind === "iam" && event.message.includes("dynamodb:PutItem")), 60000);
        expect(denial.message).to.match(/^denied arn:aws:sts::000000000000:assumed-role\/events-processor-role-[0-9a-f]+\/sp-local-event-processor dynamodb:PutItem on arn:aws:dynamodb:us-east-1:000000000000:table\/sp-local-events;/);
        expect(denial.message).to.contain(`would be allowed by statement ${REMOVED} (removed by --without-statement)`);
        expect((await getJson(`${outputs.eventApiUrl}/events/${published.body.eventId}`)).status).to.equal(404);
    });

    it("lets the AWS CLI v2 with the account's root keys read and write what the program deployed: its topic's TLS-only deny does not apply over the endpoint", async () => {
        const { endpoint, outputs } = sandbox;
        const published = await awsCli(endpoint, "sns", "publish", "--topic-arn", outputs.eventTopicArn, "--message", JSON.stringify({ type: "iam.cli", payload: {} }));
        expect(published.MessageId).to.be.a("string");
        const queue = await awsCli(endpoint, "sqs", "get-queue-attributes", "--queue-url", outputs.eventQueueUrl, "--attribute-names", "QueueArn");
        expect(queue.Attributes.QueueArn).to.match(/:sp-local-events-processing$/);
        const scanned = await awsCli(endpoint, "dynamodb", "scan", "--table-name", outputs.eventsTable, "--select", "COUNT");
        expect(scanned.Count).to.be.a("number");
        const machines = await awsCli(endpoint, "stepfunctions", "list-state-machines");
        expect(machines.stateMachines.length).to.equal(2);
    });
});
