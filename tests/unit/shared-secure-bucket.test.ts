import { expect } from "chai";
import { SecureBucket } from "../../components/shared/secure-bucket";
import { one, promiseOf, resourcesUnder } from "../support/pulumi";

const BUCKET = "aws:s3/bucket:Bucket";

describe("shared SecureBucket: emptied on destroy only when the platform says so", () => {
    it("keeps its objects on destroy by default, on every target", async () => {
        const aws = new SecureBucket("sb-keep-aws", { platform: { namePrefix: "unit", local: false }, bucketName: "keep-aws" });
        const local = new SecureBucket("sb-keep-local", { platform: { namePrefix: "unit", local: true }, bucketName: "keep-local" });
        await Promise.all([promiseOf(aws.arn), promiseOf(local.arn)]);
        expect(one(await resourcesUnder("sb-keep-aws"), BUCKET).inputs.forceDestroy).to.equal(false);
        expect(one(await resourcesUnder("sb-keep-local"), BUCKET).inputs.forceDestroy).to.equal(false);
    });

    it("is force-destroyed when the platform sets forceDestroy", async () => {
        const bucket = new SecureBucket("sb-disposable", { platform: { namePrefix: "unit", local: false, forceDestroy: true }, bucketName: "disposable" });
        await promiseOf(bucket.arn);
        expect(one(await resourcesUnder("sb-disposable"), BUCKET).inputs.forceDestroy).to.equal(true);
    });
});
