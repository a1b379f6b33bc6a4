import { CopyObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { FileCopyWorkflow } from "../../components/file-copy-workflow";
import { loadArchiveHandler } from "../support/archive";
import { archiveOf, one, promiseOf, resourcesUnder } from "../support/pulumi";

const MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:fh-file-copy-workflow";

describe("file-copy function archives", () => {
    const s3 = mockClient(S3Client);
    const sfn = mockClient(SFNClient);
    let copy: (event: unknown) => Promise<any>;
    let invoke: (event: unknown) => Promise<any>;

    before(async () => {
        const workflow = new FileCopyWorkflow("fh-file-copy", {
            platform: { namePrefix: "fh", local: true },
            sourceBuckets: [{ name: "global-builds", arn: "arn:aws:s3:::global-builds" }],
            destinationBuckets: ["region-a", "region-b"].map(name => ({ name, arn: `arn:aws:s3:::${name}` })),
        });
        await promiseOf(workflow.apiUrl);
        const resources = await resourcesUnder("fh-file-copy");
        const fn = (name: string) => one(resources, "aws:lambda/function:Function", f => f.inputs.name === name);
        copy = loadArchiveHandler(archiveOf(fn("fh-copy-object")));
        const invoker = fn("fh-step-function-invoker");
        invoke = loadArchiveHandler(archiveOf(invoker), invoker.inputs.environment.variables);
    });

    beforeEach(() => {
        s3.reset();
        sfn.reset();
    });

    const post = (body: unknown) => invoke({ body: typeof body === "string" ? body : JSON.stringify(body), headers: { "Content-Type": "application/json" }, isBase64Encoded: false });
    const valid = { sourceBucket: "global-builds", sourceKey: "builds/build 1.zip", destinationBuckets: ["region-a", "region-b"] };

    describe("step-function-invoker", () => {
        it("starts an execution named by a UUID and answers 202", async () => {
            sfn.on(StartExecutionCommand).resolves({ executionArn: `${MACHINE_ARN}:x`, startDate: new Date("2026-01-01T00:00:00Z") });
            const response = await post(valid);
            expect(response.statusCode).to.equal(202);
            expect(JSON.parse(response.body)).to.deep.include({ executionArn: `${MACHINE_ARN}:x`, startDate: "2026-01-01T00:00:00.000Z" });
            const calls = sfn.commandCalls(StartExecutionCommand);
            expect(calls).to.have.length(1);
            expect(calls[0].args[0].input.stateMachineArn).to.equal(MACHINE_ARN);
            expect(calls[0].args[0].input.name).to.match(/^[0-9a-f-]{36}$/);
            expect(JSON.parse(calls[0].args[0].input.input!)).to.deep.equal(valid);
        });

        const badInputs: [string, unknown, RegExp][] = [
            ["malformed JSON", "{not json", /not valid JSON/],
            ["a missing field", { sourceBucket: "global-builds", destinationBuckets: ["region-a"] }, /sourceKey/],
            ["a wrong-typed field", { ...valid, destinationBuckets: "region-a" }, /destinationBuckets/],
            ["an unknown source bucket", { ...valid, sourceBucket: "elsewhere" }, /sourceBucket.*elsewhere/],
            ["an unknown destination bucket", { ...valid, destinationBuckets: ["region-a", "region-z"] }, /destinationBuckets\.1.*region-z/],
            ["an empty destination list", { ...valid, destinationBuckets: [] }, /destinationBuckets/],
            ["duplicate destinations", { ...valid, destinationBuckets: ["region-a", "region-a"] }, /region-a repeated/],
            ["more than 10 destinations", { ...valid, destinationBuckets: Array(11).fill("region-a") }, /destinationBuckets.*length/],
        ];
        for (const [name, body, problem] of badInputs) {
            it(`rejects ${name} with 400 naming the problem and starts nothing`, async () => {
                const response = await post(body);
                expect(response.statusCode).to.equal(400);
                const parsed = JSON.parse(response.body);
                expect([parsed.message, ...parsed.problems].join("\n")).to.match(problem);
                expect(sfn.commandCalls(StartExecutionCommand)).to.have.length(0);
            });
        }
    });

    describe("copy-object", () => {
        const keys: [string, string][] = [
            ["build 42.zip", "global-builds/build%2042.zip"],
            ["a+b.zip", "global-builds/a%2Bb.zip"],
            ["ünï/cödé ☃.zip", "global-builds/%C3%BCn%C3%AF/c%C3%B6d%C3%A9%20%E2%98%83.zip"],
            ["deep/er/prefix/x?y#z.zip", "global-builds/deep/er/prefix/x%3Fy%23z.zip"],
        ];
        for (const [key, copySource] of keys) {
            it(`URL-encodes CopySource for ${JSON.stringify(key)} and keeps the key`, async () => {
                s3.on(CopyObjectCommand).resolves({ CopyObjectResult: { ETag: "\"e\"" } });
                const result = await copy({ sourceBucket: "global-builds", sourceKey: key, destinationBucket: "region-a" });
                expect(result).to.deep.equal({ bucket: "region-a", status: "SUCCEEDED", etag: "\"e\"" });
                expect(s3.commandCalls(CopyObjectCommand)[0].args[0].input).to.deep.equal({ Bucket: "region-a", Key: key, CopySource: copySource });
            });
        }

        it("lets an S3 error propagate so Step Functions retries and catches it", async () => {
            s3.on(CopyObjectCommand).rejects(new S3ServiceException({ name: "AccessDenied", $fault: "client", $metadata: {}, message: "Access Denied" }));
            let thrown: Error | undefined;
            await copy({ sourceBucket: "global-builds", sourceKey: "k", destinationBucket: "region-b" }).catch((error: Error) => { thrown = error; });
            expect(thrown?.name).to.equal("AccessDenied");
        });
    });
});
