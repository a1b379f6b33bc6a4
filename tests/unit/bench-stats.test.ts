import { expect } from "chai";
import { latencySummary, percentile, perSecond } from "../../bench/stats";

describe("benchmark statistics", () => {
    it("takes nearest-rank percentiles, so p99 of 1,000 samples is the 990th smallest", () => {
        const samples = Array.from({ length: 1000 }, (_, index) => 1000 - index);
        expect(percentile(samples, 50)).to.equal(500);
        expect(percentile(samples, 99)).to.equal(990);
        expect(percentile(samples, 100)).to.equal(1000);
    });

    it("takes the only sample for any percentile of one, and NaN of none", () => {
        expect(percentile([42], 1)).to.equal(42);
        expect(percentile([42], 99)).to.equal(42);
        expect(Number.isNaN(percentile([], 50))).to.equal(true);
    });

    it("prints latencies and rates the way the benchmark report shows them", () => {
        expect(latencySummary([100, 200, 7410.4])).to.equal("n=3 p50=200 ms p99=7,410 ms max=7,410 ms");
        expect(perSecond(5000, 430)).to.equal("11,627.9/s");
    });
});
