import { expect } from "chai";
import { withoutPreloads } from "../../sandbox/functions";

describe("function workers' Node options", () => {
    it("start handlers without the modules the sandbox process preloads, as Lambda does, keeping every other option", () => {
        const parent = ["-r", "ts-node/register/transpile-only", "--require=source-map-support/register", "--import", "tsx", "--max-old-space-size=512", "--cpu-prof", "--loader=x"];
        expect(withoutPreloads(parent)).to.deep.equal(["--max-old-space-size=512", "--cpu-prof"]);
    });
});
