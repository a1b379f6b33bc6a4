import { expect } from "chai";
import { awsRule, localStackRule } from "../support/jsonpath-rules";
import { extractJson, NoSuchJsonPathError, portabilityProblem } from "../support/localstack-jsonpath";

const copied = (bucket: string) => ({ bucket, status: "SUCCEEDED" });
const failed = (bucket: string) => ({ bucket, status: "FAILED" });

describe("LocalStack 4.14's JSONPath rule (extract_json on jsonpath-ng 1.7.0)", () => {
    // Cases read from asl/utils/json_path.py and jsonpath_ng/{jsonpath,ext/filter}.py at those versions.
    it("one match of an indefinite path ending in a member access is a bare value; none is [] only for the wildcard shape", () => {
        expect(extractJson("$[*].status", [copied("a")])).to.equal("SUCCEEDED");
        expect(extractJson("$[*].status", [copied("a"), failed("b")])).to.deep.equal(["SUCCEEDED", "FAILED"]);
        expect(extractJson("$[*].status", [])).to.deep.equal([]);
        const results = { copy: { results: [copied("a"), failed("b")] } };
        expect(extractJson("$.copy.results[?(@.status == 'FAILED')].bucket", results)).to.equal("b");
        expect(() => extractJson("$.copy.results[?(@.status == 'MISSING')].bucket", results)).to.throw(NoSuchJsonPathError);
    });

    it("a filter or wildcard as the last step yields a list for one match (its datum path is an Index)", () => {
        const results = { copy: { results: [copied("a"), failed("b")] } };
        expect(extractJson("$.copy.results[?(@.status == 'FAILED')]", results)).to.deep.equal([failed("b")]);
        expect(() => extractJson("$.copy.results[?(@.status == 'MISSING')]", results)).to.throw(NoSuchJsonPathError);
        expect(extractJson("$.copy.results[*]", { copy: { results: [copied("a")] } })).to.deep.equal([copied("a")]);
        expect(() => extractJson("$.copy[*].names[*]", { copy: [{ names: [] }] })).to.throw(NoSuchJsonPathError);
    });

    it("deep scan: `..name` answers one match bare, `..name[*]` a list, and [] when nothing matches", () => {
        const items = [{ names: ["a"] }, { names: [] }];
        expect(extractJson("$..names[*]", items)).to.deep.equal(["a"]);
        expect(extractJson("$..names[*]", [{ names: [] }])).to.deep.equal([]);
        expect(extractJson("$..bucket", [copied("a")])).to.equal("a");
        expect(() => extractJson("$..bucket", [])).to.throw(NoSuchJsonPathError);
    });

    it("answers like the AWS snapshots in LocalStack's tests/aws/services/stepfunctions/v2/base/test_base.py", () => {
        const items = { items: Array.from({ length: 11 }, (_, index) => ({ item_key: index })) };
        expect(extractJson("$.items[0]", items)).to.deep.equal({ item_key: 0 });
        expect(extractJson("$.items[10]", items)).to.deep.equal({ item_key: 10 });
        for (const path of ["$[*]", "$.items[*]", "$.items[1:]", "$.items[:1]", "$.item.items[1:5]", "$.items[*].itemValue", "$.item.items[1:5].itemValue"]) {
            expect(extractJson(path, {}), path).to.deep.equal([]);
        }
        const users = { users: [{ year: 1997, status: 0 }, { year: 1998, status: 1 }] };
        expect(extractJson("$.users[?(@.status == 0)]", users)).to.deep.equal([{ year: 1997, status: 0 }]);
        expect(() => extractJson("$.missing", users)).to.throw(NoSuchJsonPathError);
    });

    it("keeps jsonpath-ng's quirks: [*] wraps an object, a filter reads an object's values, int literals coerce strings", () => {
        expect(extractJson("$.one[*]", { one: { bucket: "a" } })).to.deep.equal([{ bucket: "a" }]);
        expect(extractJson("$.byName[?(@.status == 'FAILED')]", { byName: { a: copied("a"), b: failed("b") } })).to.deep.equal([failed("b")]);
        expect(extractJson("$.list[?(@.count == 2)]", { list: [{ count: "2" }, { count: 3 }] })).to.deep.equal([{ count: "2" }]);
    });
});

describe("portabilityProblem: the path shapes LocalStack 4.14 and AWS answer alike", () => {
    // Documents where the paths below match nothing, once and twice.
    const documents = [0, 1, 2].flatMap(size => Array.from({ length: size + 1 }, (_, failures) => ({
        list: Array.from({ length: size }, (_, index) => {
            const bucket = `b${index}`;
            const outcome = index < failures ? failed(bucket) : copied(bucket);
            return { ...outcome, names: [bucket], failedNames: index < failures ? [bucket] : [] };
        }),
    })));
    const answer = (rule: typeof awsRule, path: string, json: unknown) => {
        try {
            return { value: rule({ path, json, wrap: false }) };
        } catch (error) {
            return { error: (error as Error).name };
        }
    };
    const paths = [
        "$.list", "$.list[0]", "$.list[0].bucket", "$.list[*]", "$.list[1:]", "$..failedNames[*]", "$..names[*]",
        "$.list[*].status", "$.list[?(@.status == 'FAILED')]", "$.list[?(@.status == 'FAILED')].bucket", "$..bucket",
        "$.list[*].failedNames[*]", "$.list[*].names[0]", "$[1:]",
    ];

    for (const path of paths) {
        const problem = portabilityProblem(path);
        it(`${path}: ${problem ?? "portable"}`, () => {
            const differing = documents.filter(json => JSON.stringify(answer(localStackRule, path, json)) !== JSON.stringify(answer(awsRule, path, json)));
            if (problem) {
                expect(differing, "a document both rules answer differently").to.not.have.length(0);
            } else {
                expect(differing.map(json => ({ json, localStack: answer(localStackRule, path, json), aws: answer(awsRule, path, json) }))).to.deep.equal([]);
            }
        });
    }
});
