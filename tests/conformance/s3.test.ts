import { expect } from "chai";
import { createHash, randomBytes } from "crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { serve, TestSandbox } from "../e2e/sandbox-support";
import { aws, awsJson, requireAwsCli } from "./aws-cli";

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");
/** Keys a person would type, in the characters that need encoding on the wire and in listings. */
const AWKWARD_KEYS = ["with space.txt", "plus+sign.txt", "per%cent.txt", "ünï/cødé ✓.txt"];

describe("S3 as the AWS CLI sees it: buckets, large files, ranges and awkward keys", function () {
    this.timeout(240000);
    let sandbox: TestSandbox;
    let endpoint: string;
    let work: string;

    before(async () => {
        requireAwsCli();
        sandbox = await serve(() => []);
        endpoint = sandbox.endpoint;
        work = mkdtempSync(path.join(tmpdir(), "s3-cli-"));
    });

    after(async () => {
        await sandbox?.close();
    });

    it("makes a bucket and lists it with its creation date (aws s3 mb, aws s3 ls)", async () => {
        const made = await aws(endpoint, "s3", "mb", "s3://cli-data");
        expect([made.code, made.stdout.trim()]).to.deep.equal([0, "make_bucket: cli-data"]);
        const listed = await aws(endpoint, "s3", "ls");
        expect(listed.code, listed.stderr).to.equal(0);
        expect(listed.stdout.trim()).to.match(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} cli-data$/);
    });

    it("copies a 21 MB file up in parts and down in ranges, byte for byte (aws s3 cp)", async () => {
        const original = randomBytes(21 * 1024 * 1024);
        writeFileSync(path.join(work, "big.bin"), original);
        const up = await aws(endpoint, "s3", "cp", path.join(work, "big.bin"), "s3://cli-data/big/big.bin", "--no-progress");
        expect(up.code, up.stderr).to.equal(0);
        const head = await awsJson(endpoint, "s3api", "head-object", "--bucket", "cli-data", "--key", "big/big.bin");
        // The CLI uploads files over 8 MB in 8 MB parts: a multipart ETag names its part count.
        expect(head).to.include({ ContentLength: original.length, ServerSideEncryption: "AES256" });
        expect(head.ETag).to.match(/^"[0-9a-f]{32}-3"$/);
        const down = await aws(endpoint, "s3", "cp", "s3://cli-data/big/big.bin", path.join(work, "big-copy.bin"), "--no-progress");
        expect(down.code, down.stderr).to.equal(0);
        expect(sha256(readFileSync(path.join(work, "big-copy.bin")))).to.equal(sha256(original));

        const ranged = await awsJson(endpoint, "s3api", "get-object", "--bucket", "cli-data", "--key", "big/big.bin", "--range", "bytes=100-199", path.join(work, "range.bin"));
        expect(ranged).to.include({ ContentRange: `bytes 100-199/${original.length}`, ContentLength: 100 });
        expect(readFileSync(path.join(work, "range.bin")).equals(original.subarray(100, 200))).to.equal(true);
        const unsatisfiable = await aws(endpoint, "s3api", "get-object", "--bucket", "cli-data", "--key", "big/big.bin", "--range", `bytes=${original.length}-`, path.join(work, "none.bin"));
        expect(unsatisfiable.code).to.not.equal(0);
        expect(unsatisfiable.stderr).to.contain("InvalidRange");
    });

    it("syncs keys with spaces, +, % and unicode both ways, lists prefixes and removes one (aws s3 sync, ls, rm)", async () => {
        const source = path.join(work, "source");
        for (const key of AWKWARD_KEYS) {
            mkdirSync(path.dirname(path.join(source, key)), { recursive: true });
            writeFileSync(path.join(source, key), `content of ${key}`);
        }
        const up = await aws(endpoint, "s3", "sync", source, "s3://cli-data/keys/", "--no-progress");
        expect(up.code, up.stderr).to.equal(0);
        const recursive = await aws(endpoint, "s3", "ls", "s3://cli-data/keys/", "--recursive");
        expect(recursive.stdout.trim().split("\n").map(line => line.split(/\s+/).slice(3).join(" ")).sort()).to.deep.equal(AWKWARD_KEYS.map(key => `keys/${key}`).sort());
        const shallow = await aws(endpoint, "s3", "ls", "s3://cli-data/keys/");
        expect(shallow.stdout).to.match(/^\s+PRE ünï\/$/m);
        expect(shallow.stdout).to.match(/ with space\.txt$/m);

        const copy = path.join(work, "copy");
        const down = await aws(endpoint, "s3", "sync", "s3://cli-data/keys/", copy, "--no-progress");
        expect(down.code, down.stderr).to.equal(0);
        for (const key of AWKWARD_KEYS) {
            expect(readFileSync(path.join(copy, key), "utf8"), key).to.equal(`content of ${key}`);
        }
        const removed = await aws(endpoint, "s3", "rm", "s3://cli-data/keys/plus+sign.txt");
        expect(removed.stdout.trim()).to.equal("delete: s3://cli-data/keys/plus+sign.txt");
        const after = await aws(endpoint, "s3", "ls", "s3://cli-data/keys/", "--recursive");
        expect(after.stdout).to.not.contain("plus+sign.txt");
        expect(after.stdout).to.contain("per%cent.txt");
    });

    it("tags objects, refuses subresources it does not implement, removes a prefix (aws s3 rm --recursive) and many keys at once (s3api delete-objects)", async () => {
        writeFileSync(path.join(work, "tagged.txt"), "tagged");
        const put = await aws(endpoint, "s3api", "put-object", "--bucket", "cli-data", "--key", "tags/tagged.txt", "--body", path.join(work, "tagged.txt"), "--tagging", "team=data&tier=gold");
        expect(put.code, put.stderr).to.equal(0);
        const tagging = await awsJson(endpoint, "s3api", "get-object-tagging", "--bucket", "cli-data", "--key", "tags/tagged.txt");
        expect(tagging.TagSet).to.have.deep.members([{ Key: "team", Value: "data" }, { Key: "tier", Value: "gold" }]);
        const missing = await aws(endpoint, "s3api", "get-object-tagging", "--bucket", "cli-data", "--key", "tags/none.txt");
        expect(missing.stderr).to.contain("NoSuchKey");
        for (const args of [["get-object-acl"], ["get-object-retention"], ["get-object-legal-hold"], ["put-object-tagging", "--tagging", "TagSet=[]"], ["get-bucket-tagging"]]) {
            const keyArgs = args[0] === "get-bucket-tagging" ? [] : ["--key", "tags/tagged.txt"];
            const refused = await aws(endpoint, "s3api", ...args, "--bucket", "cli-data", ...keyArgs);
            expect(refused.code, args[0]).to.not.equal(0);
            expect(refused.stderr, args[0]).to.contain("(NotImplemented)");
        }

        const removed = await aws(endpoint, "s3", "rm", "s3://cli-data/keys/", "--recursive");
        expect(removed.code, removed.stderr).to.equal(0);
        expect(removed.stdout.trim().split("\n").sort()).to.deep.equal(AWKWARD_KEYS.filter(key => key !== "plus+sign.txt").map(key => `delete: s3://cli-data/keys/${key}`).sort());
        const after = await aws(endpoint, "s3", "ls", "s3://cli-data/keys/", "--recursive");
        expect(after.stdout).to.equal("");
        const many = await awsJson(endpoint, "s3api", "delete-objects", "--bucket", "cli-data", "--delete", JSON.stringify({ Objects: [{ Key: "tags/tagged.txt" }, { Key: "big/big.bin" }, { Key: "never/was.txt" }] }));
        expect(many.Deleted.map((entry: any) => entry.Key).sort()).to.deep.equal(["big/big.bin", "never/was.txt", "tags/tagged.txt"]);
        expect((await aws(endpoint, "s3", "ls", "s3://cli-data/", "--recursive")).stdout).to.equal("");
    });
});
