// Mocha's spec output plus one plain "N passed, N failed" line that CI can read.
const Mocha = require("mocha");

class SpecWithSummary extends Mocha.reporters.Spec {
    constructor(runner, options) {
        super(runner, options);
        runner.once("end", () => {
            console.log(`${this.stats.passes} passed, ${this.stats.failures} failed, ${this.stats.pending} skipped`);
        });
    }
}

module.exports = SpecWithSummary;
