import { CopyObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { FileCopyWorkflow } from "../../components/file-copy-workflow";
import { loadArchiveHandler } from "../support/archive";
import { archiveOf, one, promiseOf, resourcesUnder } from "../support/pulumi";

const MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:fh-file-copy-workflow";
const EXECUTION_ARN = "arn:aws:states:eu-west-1:123456789012:execution:fh-file-copy-workflow:5c1b8e0e-7f7a-4c55-9d43-2f5e3c1d9b7a";

/** The error document the Node.js Lambda runtime makes of a thrown error (aws-lambda-nodejs-runtime-interface-client src/Errors.js). */
const errorDocument = (error: Error) => JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: error.stack!.split("\n") });

/** Runs `body` with console.error recorded instead of printed. */
async function recordingConsoleError<T>(body: () => Promise<T>): Promise<{ result: T | Error; logged: unknown[][] }> {
    const original = console.error;
    const logged: unknown[][] = [];
    console.error = (...args: unknown[]) => { logged.push(args); };
    try {
        return { result: await body().catch((error: Error) => error), logged };
    } finally {
        console.error = original;
    }
}

describe("file-copy function archives", () => {
    const s3 = mockClient(S3Client);
    const sfn = mockClient(SFNClient);
    let copy: (event: unknown) => Promise<any>;
    let invoke: (event: unknown) => Promise<any>;
    let format: (event: unknown) => Promise<{ subject: string; message: string }>;
    let formatterArchive: ReturnType<typeof archiveOf>;

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
        const formatter = fn("fh-format-failure-notification");
        formatterArchive = archiveOf(formatter);
        format = loadArchiveHandler(formatterArchive, formatter.inputs.environment.variables);
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

        it("logs an S3 error whole and throws it by S3's name with a one-line message of at most 200 characters and no stack frames", async () => {
            const s3Message = `Access Denied\n${"because the bucket policy of region-b denies s3:PutObject to this role; ".repeat(6)}ünï ☃`;
            s3.on(CopyObjectCommand).rejects(new S3ServiceException({ name: "AccessDenied", $fault: "client", $metadata: {}, message: s3Message }));
            const { result, logged } = await recordingConsoleError(() => copy({ sourceBucket: "global-builds", sourceKey: "k", destinationBucket: "region-b" }));
            const thrown = result as Error;
            expect(thrown.name).to.equal("AccessDenied");
            expect(thrown.message).to.match(/^Access Denied because the bucket policy of region-b denies s3:PutObject to this role; because .*…$/);
            expect(Array.from(thrown.message)).to.have.length(200);
            expect(thrown.stack).to.equal(`AccessDenied: ${thrown.message}`);
            // What Step Functions keeps as the Cause, and the full error with its stack in the function's log.
            expect(Buffer.byteLength(errorDocument(thrown))).to.be.below(500);
            expect(logged).to.have.length(1);
            expect(logged[0][0]).to.equal("Copying s3://global-builds/k to bucket region-b failed:");
            expect((logged[0][1] as Error).message).to.equal(s3Message);
            expect((logged[0][1] as Error).stack).to.match(/\n +at /);
        });

        it("keeps a short error as it is", async () => {
            s3.on(CopyObjectCommand).rejects(new S3ServiceException({ name: "NoSuchBucket", $fault: "client", $metadata: {}, message: "The specified bucket does not exist" }));
            const { result } = await recordingConsoleError(() => copy({ sourceBucket: "global-builds", sourceKey: "k", destinationBucket: "region-b" }));
            expect(errorDocument(result as Error)).to.equal(JSON.stringify({
                errorType: "NoSuchBucket", errorMessage: "The specified bucket does not exist", trace: ["NoSuchBucket: The specified bucket does not exist"],
            }));
        });
    });

    describe("format-failure-notification", () => {
        const failure = (bucket: string, error: string, cause?: string) => ({ bucket, status: "FAILED", error, ...(cause === undefined ? {} : { cause }) });
        const summary = (overrides: Record<string, unknown> = {}) => ({
            sourceBucket: "global-builds", sourceKey: "builds/build 7.zip", executionId: EXECUTION_ARN, status: "PARTIALLY_FAILED",
            totalBuckets: 3, succeededBuckets: ["region-a"], failures: [failure("region-b", "AccessDenied", JSON.stringify({ errorType: "AccessDenied", errorMessage: "Access Denied", trace: ["AccessDenied: Access Denied"] }))],
            ...overrides,
        });
        const failureLines = (message: string) => message.split("\n").filter(line => line.startsWith("• "));

        it("says which file, which bucket failed and why, and where to look", async () => {
            const { subject, message } = await format(summary());
            expect(subject).to.equal("File copy failed: 1 of 3 destinations for builds/build 7.zip");
            expect(message.split("\n")).to.include.members([
                "📄 File: s3://global-builds/builds/build 7.zip",
                "• region-b — AccessDenied: Access Denied",
                "✅ Succeeded (1): region-a",
                `🆔 Execution: ${EXECUTION_ARN}`,
                `🖥️ Console: https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION_ARN}`,
                "🗂️ Tracking record: DynamoDB table fh-file-copy-tracking, this fileKey and sourceBucket",
                "📜 Full errors with stack traces: CloudWatch Logs /aws/lambda/fh-copy-object",
            ]);
        });

        it("takes a plain-text Cause as it is, a missing one as nothing, and any Cause onto one line", async () => {
            const { message } = await format(summary({
                totalBuckets: 4, succeededBuckets: [],
                failures: [
                    failure("region-a", "Lambda.TooManyRequestsException", "Rate Exceeded. (Service: Lambda, Status Code: 429, Request ID: r-1)"),
                    failure("region-b", "States.Timeout"),
                    failure("region-c", "Error", "{\"message\":\"not a Lambda error document\"}"),
                    failure("region-d", "Error", JSON.stringify({ errorType: "Error", errorMessage: "line one\r\n\tline two\u0000 three" })),
                ],
            }));
            expect(failureLines(message)).to.deep.equal([
                "• region-a — Lambda.TooManyRequestsException: Rate Exceeded. (Service: Lambda, Status Code: 429, Request ID: r-1)",
                "• region-b — States.Timeout",
                "• region-c — Error: {\"message\":\"not a Lambda error document\"}",
                "• region-d — Error: line one line two three",
            ]);
        });

        it("fits ten failed buckets with the longest names, key and causes into 2 KB, one line each", async () => {
            const buckets = Array.from({ length: 10 }, (_, index) => `${String(index).padStart(2, "0")}-${"b".repeat(60)}`);
            const longest = {
                sourceBucket: "s".repeat(63),
                sourceKey: `${"ü".repeat(400)}/${"x".repeat(200)}/report.pdf`,
                executionId: `arn:aws:states:ap-southeast-2:123456789012:execution:${"m".repeat(80)}:${"e".repeat(80)}`,
                totalBuckets: 10, succeededBuckets: [], status: "FAILED",
                failures: buckets.map(bucket => failure(bucket, "AccessDenied", JSON.stringify({ errorType: "AccessDenied", errorMessage: `Denied “${"☃".repeat(500)}”`, trace: Array(10).fill("    at x (/var/task/__index.js:1:1)") }))),
            };
            const { subject, message } = await format(summary(longest));
            console.log(`      ten longest failures: ${Buffer.byteLength(message)} bytes`);
            expect(Buffer.byteLength(message)).to.be.at.most(2048);
            expect(failureLines(message).map(line => line.slice(0, 80))).to.deep.equal(buckets.map(bucket => `• ${bucket} — AccessDenied: Denied “☃`.slice(0, 80)));
            expect(message).to.include(`🆔 Execution: ${longest.executionId}`).and.match(/📄 File: s3:\/\/s{63}\/ü+…x+\/report\.pdf\n/);
            expect(subject).to.match(/^File copy failed: 10 of 10 destinations for u+\.\.\.x+\/report\.pdf$/).and.have.length(99);
        });

        it("writes an ASCII subject under 100 characters whatever the key holds", async () => {
            const { subject } = await format(summary({ sourceKey: "reports/Ünïcode café ☃ – \u{1F4E6}\nline.zip" }));
            expect(subject).to.equal("File copy failed: 1 of 3 destinations for reports/Unicode cafe ? ? ?? line.zip");
        });

        it("refuses a summary without failures, naming the field, so the plain notification goes out instead", async () => {
            const { failures, ...rest } = summary();
            const thrown = await format(rest).catch((error: Error) => error);
            expect(failures).to.have.length(1);
            expect(thrown).to.include({ name: "InvalidRunSummary" });
            expect((thrown as Error).message).to.match(/failures: Expected an array/);
        });

        it("fails at start naming a missing setting", () => {
            const saved = process.env.COPY_LOG_GROUP_NAME;
            delete process.env.COPY_LOG_GROUP_NAME;
            try {
                expect(() => loadArchiveHandler(formatterArchive, { TRACKING_TABLE_NAME: "t" })).to.throw("COPY_LOG_GROUP_NAME is not set");
            } finally {
                process.env.COPY_LOG_GROUP_NAME = saved;
            }
        });
    });
});
