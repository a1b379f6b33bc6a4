import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { BatchWriteCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { S3Event, SQSEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { ReplicationPipeline } from "../../components/replication-pipeline";
import { IF_NONE_MATCH_UNSUPPORTED, putObjectSendsIfNoneMatch } from "../../functions/replication/build-worker";
import { RecordedResource } from "../../sandbox/mock-cloud";
import { archiveSize } from "../../sandbox/archive";
import { loadArchiveHandler } from "../support/archive";
import { PROJECT_DIR } from "../support/program";
import { archiveOf, one, promiseOf, resourcesUnder } from "../support/pulumi";

const FUNCTION = "aws:lambda/function:Function";
const ARCHIVE_LIMIT_BYTES = 256 * 1024;

function sqsEvent(messages: { messageId: string; body: string }[]): SQSEvent {
    return {
        Records: messages.map(({ messageId, body }) => ({
            messageId, body, receiptHandle: `rh-${messageId}`, attributes: {} as any, messageAttributes: {}, md5OfBody: "",
            eventSource: "aws:sqs", eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:art-build-requests", awsRegion: "us-east-1",
        })),
    };
}

function s3Event(bucket: string, objects: { key: string; sequencer?: string }[]): S3Event {
    return {
        Records: objects.map(({ key, sequencer }) => ({
            eventVersion: "2.1", eventSource: "aws:s3", awsRegion: "us-east-1", eventTime: "2026-11-21T00:00:00.000Z",
            eventName: "ObjectCreated:Put", userIdentity: { principalId: "p" }, requestParameters: { sourceIPAddress: "127.0.0.1" },
            responseElements: { "x-amz-request-id": "r", "x-amz-id-2": "i" },
            s3: {
                s3SchemaVersion: "1.0", configurationId: "c",
                bucket: { name: bucket, ownerIdentity: { principalId: "p" }, arn: `arn:aws:s3:::${bucket}` },
                object: { key, size: 10, eTag: "e", sequencer: sequencer ?? "0055AED6DCD90281E5" },
            },
        })),
    };
}

/** Loads a handler while a patch is in place and removes the patch right after, whatever happens. */
function loadedWithoutIfNoneMatch<H>(load: () => H, unpatch: () => void): H {
    try {
        return load();
    } finally {
        unpatch();
    }
}

function s3Error(name: string, httpStatusCode: number): Error {
    return Object.assign(new Error(name), { name, $metadata: { httpStatusCode } });
}

describe("replication functions (serialized archives)", () => {
    let resources: RecordedResource[];
    const fn = (functionName: string) => one(resources, FUNCTION, resource => resource.inputs.name === `art-${functionName}`);
    const handlerOf = (functionName: string, extraEnvironment: Record<string, string> = {}) =>
        loadArchiveHandler(archiveOf(fn(functionName)), { ...fn(functionName).inputs.environment.variables, ...extraEnvironment });

    before(async () => {
        const pipeline = new ReplicationPipeline("rp-artifacts", { platform: { namePrefix: "art", local: true }, hostsPerRegion: 60 });
        await promiseOf(pipeline.buildsApiUrl);
        resources = await resourcesUnder("rp-artifacts");
    });

    it("keeps every archive under 256 KiB", () => {
        for (const functionName of ["build-worker", "replication-worker", "regional-sync"]) {
            const size = archiveSize(PROJECT_DIR, archiveOf(fn(functionName)));
            console.log(`      ${functionName}: ${size} bytes`);
            expect(size, functionName).to.be.below(ARCHIVE_LIMIT_BYTES);
        }
    });

    describe("build-worker", () => {
        const s3 = mockClient(S3Client);
        let stored: Map<string, any>;
        let handler: (event: SQSEvent, context: any) => Promise<any>;

        beforeEach(() => {
            s3.reset();
            stored = new Map();
            s3.on(PutObjectCommand).callsFake(input => {
                if (input.IfNoneMatch === "*" && stored.has(input.Key)) {
                    throw s3Error("PreconditionFailed", 412);
                }
                stored.set(input.Key, input);
                return { ETag: "\"e\"" };
            });
            handler = handlerOf("build-worker");
        });

        it("uploads build-<id>.zip to global-builds only if absent", async () => {
            const result = await handler(sqsEvent([{ messageId: "m-1", body: "{\"commit\":\"abc123\"}" }]), {});
            expect(result).to.deep.equal({ batchItemFailures: [] });
            expect([...stored.keys()]).to.have.length(1);
            const put = [...stored.values()][0];
            expect(put.Bucket).to.equal("art-global-builds");
            expect(put.Key).to.match(/^build-abc123-[0-9a-f]{12}\.zip$/);
            expect(put.IfNoneMatch).to.equal("*");
            expect(JSON.parse(put.Body)).to.include({ commit: "abc123", messageId: "m-1" });
        });

        it("turns the same message delivered twice into one artifact, both deliveries succeeding", async () => {
            const message = { messageId: "m-dup", body: "{\"commit\":\"abc123\"}" };
            expect(await handler(sqsEvent([message]), {})).to.deep.equal({ batchItemFailures: [] });
            expect(await handler(sqsEvent([message]), {})).to.deep.equal({ batchItemFailures: [] });
            expect(s3.commandCalls(PutObjectCommand)).to.have.length(2);
            expect(stored.size).to.equal(1);
        });

        it("gives different messages for the same commit different artifacts", async () => {
            await handler(sqsEvent([{ messageId: "m-a", body: "{\"commit\":\"abc123\"}" }, { messageId: "m-b", body: "{\"commit\":\"abc123\"}" }]), {});
            expect(stored.size).to.equal(2);
        });

        it("fails only the records with a bad body and uploads nothing for them", async () => {
            const result = await handler(sqsEvent([
                { messageId: "good", body: "{\"commit\":\"v1.2.3\"}" },
                { messageId: "not-json", body: "commit=abc" },
                { messageId: "wrong-type", body: "{\"commit\":5}" },
                { messageId: "bad-chars", body: "{\"commit\":\"../etc\"}" },
                { messageId: "missing", body: "{}" },
            ]), {});
            expect(result.batchItemFailures.map((failure: any) => failure.itemIdentifier)).to.have.members(["not-json", "wrong-type", "bad-chars", "missing"]);
            expect([...stored.keys()]).to.have.length(1);
            expect([...stored.keys()][0]).to.match(/^build-v1\.2\.3-/);
        });

        it("checks at init that the runtime's client-s3 sends If-None-Match; this project's does", async () => {
            expect(await putObjectSendsIfNoneMatch()).to.equal(true);
        });

        it("fails every invocation, naming the problem, and writes nothing when the runtime's client-s3 drops IfNoneMatch", async () => {
            // What client-s3 before 3.635.0 does: its serializer does not know the member, so the header never reaches the request.
            const resolveMiddleware = PutObjectCommand.prototype.resolveMiddleware;
            PutObjectCommand.prototype.resolveMiddleware = function (this: PutObjectCommand, ...args: Parameters<typeof resolveMiddleware>) {
                this.middlewareStack.add(next => async request => {
                    delete (request.request as { headers: Record<string, string> }).headers["if-none-match"];
                    return next(request);
                }, { step: "build", priority: "high", name: "dropIfNoneMatch" });
                return resolveMiddleware.apply(this, args);
            };
            const consoleError = console.error;
            const logged: string[] = [];
            console.error = (...parts: unknown[]) => logged.push(parts.join(" "));
            try {
                const oldRuntimeHandler = loadedWithoutIfNoneMatch(() => handlerOf("build-worker"), () => {
                    PutObjectCommand.prototype.resolveMiddleware = resolveMiddleware;
                });
                for (const messageId of ["m-old-1", "m-old-2"]) {
                    const failure = await oldRuntimeHandler(sqsEvent([{ messageId, body: "{\"commit\":\"abc123\"}" }]), {})
                        .then(() => undefined, (error: Error) => error);
                    expect(failure?.message, messageId).to.equal(IF_NONE_MATCH_UNSUPPORTED);
                }
            } finally {
                console.error = consoleError;
            }
            expect(s3.commandCalls(PutObjectCommand)).to.have.length(0);
            expect(logged.join("\n")).to.include("drops PutObject's IfNoneMatch");
        });

        it("reports a record whose upload fails for another reason, so SQS redelivers it", async () => {
            s3.on(PutObjectCommand).rejects(s3Error("InternalError", 500));
            const result = await handler(sqsEvent([{ messageId: "m-500", body: "{\"commit\":\"abc\"}" }]), {});
            expect(result).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "m-500" }] });
        });
    });

    describe("replication-worker", () => {
        const sfn = mockClient(SFNClient);
        let started: Map<string, any>;
        let handler: (event: S3Event) => Promise<any>;

        beforeEach(() => {
            sfn.reset();
            started = new Map();
            sfn.on(StartExecutionCommand).callsFake(input => {
                if (started.has(input.name)) {
                    throw s3Error("ExecutionAlreadyExists", 400);
                }
                started.set(input.name, input);
                return { executionArn: `arn:aws:states:us-east-1:123456789012:execution:x:${input.name}`, startDate: new Date() };
            });
            handler = handlerOf("replication-worker");
        });

        const cases: [string, string][] = [
            ["build-abc123-0123456789ab.zip", "build-abc123-0123456789ab.zip"],
            ["my+build+v2.zip", "my build v2.zip"],
            ["a%2Bb+c.zip", "a+b c.zip"],
            ["check%E2%9C%93.zip", "check✓.zip"],
            ["deep/nested/prefix/2026/11/build-1.zip", "deep/nested/prefix/2026/11/build-1.zip"],
        ];
        for (const [encoded, decoded] of cases) {
            it(`starts the workflow with key ${JSON.stringify(decoded)} from event key ${encoded}`, async () => {
                await handler(s3Event("art-global-builds", [{ key: encoded }]));
                const [call] = [...started.values()];
                expect(call.stateMachineArn).to.equal(fn("replication-worker").inputs.environment.variables.STATE_MACHINE_ARN);
                expect(JSON.parse(call.input)).to.deep.equal({
                    sourceBucket: "art-global-builds", sourceKey: decoded, destinationBuckets: ["art-region-a-builds", "art-region-b-builds"],
                });
                expect(call.name).to.match(/^[A-Za-z0-9_-]{1,80}$/);
            });
        }

        it("names executions by bucket, key and sequencer: the same event twice starts one run and both succeed", async () => {
            const event = s3Event("art-global-builds", [{ key: "build-x.zip", sequencer: "001" }]);
            const first = await handler(event);
            const second = await handler(event);
            expect(first.started).to.have.length(1);
            expect(second).to.deep.equal({ started: [], duplicates: first.started });
            expect(sfn.commandCalls(StartExecutionCommand).map(call => call.args[0].input.name)).to.deep.equal([first.started[0], first.started[0]]);
            expect(started.size).to.equal(1);
        });

        it("starts a new run when the same key is uploaded again (new sequencer) and for long keys stays within 80 chars", async () => {
            const longKey = `${"very-long-directory-name/".repeat(10)}${"x".repeat(200)}.zip`;
            await handler(s3Event("art-global-builds", [{ key: "build-x.zip", sequencer: "001" }, { key: "build-x.zip", sequencer: "002" }, { key: longKey }]));
            expect(started.size).to.equal(3);
            for (const name of started.keys()) {
                expect(name).to.match(/^[A-Za-z0-9_-]{1,80}$/);
            }
        });

        it("fails the invocation when Step Functions fails, so Lambda retries the event", async () => {
            sfn.on(StartExecutionCommand).rejects(s3Error("ThrottlingException", 400));
            let error: Error | undefined;
            await handler(s3Event("art-global-builds", [{ key: "build-y.zip" }])).catch(caught => { error = caught; });
            expect(error?.message).to.match(/1 of 1 executions failed to start.*ThrottlingException/);
        });
    });

    describe("regional-sync", () => {
        const dynamo = mockClient(DynamoDBDocumentClient);
        let written: Map<string, any>;
        let batchSizes: number[];
        let handler: (event: S3Event) => Promise<any>;

        beforeEach(() => {
            dynamo.reset();
            written = new Map();
            batchSizes = [];
            handler = handlerOf("regional-sync", { BACKOFF_BASE_MS: "1" });
        });

        const accept = (items: any[]) => {
            batchSizes.push(items.length);
            for (const request of items) {
                const item = request.PutRequest.Item;
                written.set(`${item.build_id}|${item.host_id}`, item);
            }
        };

        it("writes exactly hostsPerRegion records for the bucket's region in batches of at most 25", async () => {
            dynamo.on(BatchWriteCommand).callsFake(input => {
                accept(input.RequestItems["art-host-deployment-logs"]);
                return { UnprocessedItems: {} };
            });
            expect(await handler(s3Event("art-region-b-builds", [{ key: "build-abc%2B1.zip" }]))).to.deep.equal({ written: 60 });
            expect(written.size).to.equal(60);
            expect(batchSizes).to.deep.equal([25, 25, 10]);
            const item = written.get("build-abc+1.zip|region-b-host-00001");
            expect(item).to.include({ build_id: "build-abc+1.zip", host_id: "region-b-host-00001", region: "region-b", status: "DEPLOYED", bucket: "art-region-b-builds", key: "build-abc+1.zip" });
            expect(Number.isNaN(Date.parse(item.deployedAt))).to.equal(false);
            expect([...written.values()].every(record => record.region === "region-b")).to.equal(true);
        });

        it("rewrites the same items when the event is delivered again", async () => {
            dynamo.on(BatchWriteCommand).callsFake(input => {
                accept(input.RequestItems["art-host-deployment-logs"]);
                return {};
            });
            const event = s3Event("art-region-a-builds", [{ key: "build-z.zip" }]);
            await handler(event);
            await handler(event);
            expect(written.size).to.equal(60);
        });

        it("retries UnprocessedItems until every record is written", async () => {
            let throttled = 0;
            dynamo.on(BatchWriteCommand).callsFake(input => {
                const items = input.RequestItems["art-host-deployment-logs"];
                if (throttled < 3 && items.length > 1) {
                    throttled++;
                    const [kept, ...unprocessed] = items;
                    accept([kept]);
                    return { UnprocessedItems: { "art-host-deployment-logs": unprocessed } };
                }
                accept(items);
                return { UnprocessedItems: {} };
            });
            await handler(s3Event("art-region-a-builds", [{ key: "build-r.zip" }]));
            expect(throttled).to.equal(3);
            expect(written.size).to.equal(60);
            expect(dynamo.commandCalls(BatchWriteCommand).length).to.equal(6);
        });

        it("gives up with an error when items stay unprocessed", async () => {
            dynamo.on(BatchWriteCommand).callsFake(input => ({ UnprocessedItems: input.RequestItems }));
            let error: Error | undefined;
            await handler(s3Event("art-region-a-builds", [{ key: "build-q.zip" }])).catch(caught => { error = caught; });
            expect(error?.message).to.match(/still unprocessed after 8 BatchWriteItem attempts/);
            const callsWhenRejected = dynamo.commandCalls(BatchWriteCommand).length;
            await new Promise(resolve => setImmediate(resolve));
            expect(dynamo.commandCalls(BatchWriteCommand).length, "writes after the invocation ended").to.equal(callsWhenRejected);
            expect(callsWhenRejected).to.equal(3 * 8);
        });

        it("keeps at most SYNC_CONCURRENCY (8) requests in flight", async () => {
            let inFlight = 0;
            let maxInFlight = 0;
            dynamo.on(BatchWriteCommand).callsFake(async input => {
                inFlight++;
                maxInFlight = Math.max(maxInFlight, inFlight);
                await new Promise(resolve => setImmediate(resolve));
                accept(input.RequestItems["art-host-deployment-logs"]);
                inFlight--;
                return {};
            });
            const wide = loadArchiveHandler<(event: S3Event) => Promise<any>>(archiveOf(fn("regional-sync")), { HOSTS_PER_REGION: "1000" });
            await wide(s3Event("art-region-a-builds", [{ key: "build-w.zip" }]));
            expect(written.size).to.equal(1000);
            expect(maxInFlight).to.equal(8);
        });

        it("refuses a bucket that is not a regional builds bucket", async () => {
            let error: Error | undefined;
            await handler(s3Event("someone-else", [{ key: "build-q.zip" }])).catch(caught => { error = caught; });
            expect(error?.message).to.match(/not a regional builds bucket/);
            expect(dynamo.commandCalls(BatchWriteCommand)).to.have.length(0);
        });
    });
});
