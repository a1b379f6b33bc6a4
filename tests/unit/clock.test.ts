import { expect } from "chai";
import { Clock } from "../../sandbox/clock";
import { DEFAULT_TIME_SCALE } from "../../sandbox/main";
import { scaledDefinition } from "../../sandbox/services/stepfunctions/timing";

/** The library's wait before retry `attempt` (0-based): IntervalSeconds × BackoffRate^attempt, capped by MaxDelaySeconds. */
function retryWaitsMs(retrier: { IntervalSeconds: number; BackoffRate?: number; MaxAttempts: number; MaxDelaySeconds?: number }): number[] {
    return Array.from({ length: retrier.MaxAttempts }, (_, attempt) =>
        Math.round(Math.min(retrier.IntervalSeconds * (retrier.BackoffRate ?? 2) ** attempt, retrier.MaxDelaySeconds ?? Infinity) * 1000));
}

describe("sandbox clock", () => {
    it("turns configured seconds into real milliseconds and back; 1 is real time", () => {
        expect(new Clock(1).ms(30)).to.equal(30000);
        expect(new Clock(0.1).ms(180)).to.equal(18000);
        expect(new Clock(0.02).seconds(600)).to.equal(30);
        expect(() => new Clock(0)).to.throw("positive");
        expect(() => new Clock(Number.NaN)).to.throw("positive");
    });

    it("finishes the file-copy workflow's retries of a copy to a missing bucket (3 from 2 s, backoff 2) in 1.4 s at the default scale", () => {
        const definition = {
            StartAt: "Copy",
            States: { Copy: { Type: "Task", Resource: "arn:aws:states:::lambda:invoke", Retry: [{ ErrorEquals: ["States.ALL"], MaxAttempts: 3, IntervalSeconds: 2, BackoffRate: 2 }], End: true } },
        };
        const [retrier] = scaledDefinition(definition, new Clock(DEFAULT_TIME_SCALE)).States.Copy.Retry;
        expect(retryWaitsMs(retrier)).to.deep.equal([200, 400, 800]);
        expect(retryWaitsMs(scaledDefinition(definition, new Clock(1)).States.Copy.Retry[0])).to.deep.equal([2000, 4000, 8000]);
    });

    it("scales every duration the library waits for, nested Map and Parallel states included, and leaves the written definition alone", () => {
        const definition = {
            TimeoutSeconds: 600,
            StartAt: "Wait",
            States: {
                Wait: { Type: "Wait", Seconds: 30, Next: "Each" },
                Each: {
                    Type: "Map",
                    ItemProcessor: { StartAt: "Call", States: { Call: { Type: "Task", Resource: "arn:aws:states:::sns:publish", TimeoutSeconds: 10, Retry: [{ ErrorEquals: ["States.ALL"], MaxDelaySeconds: 5 }], End: true } } },
                    Next: "Both",
                },
                Both: { Type: "Parallel", Branches: [{ StartAt: "Slow", States: { Slow: { Type: "Task", Resource: "arn:aws:states:::sqs:sendMessage", End: true } } }], End: true },
            },
        };
        const written = JSON.stringify(definition);
        const scaled = scaledDefinition(definition, new Clock(0.1));
        expect(scaled.TimeoutSeconds).to.equal(60);
        expect(scaled.States.Wait.Seconds).to.equal(3);
        const call = scaled.States.Each.ItemProcessor.States.Call;
        expect(call.TimeoutSeconds).to.equal(1);
        // A retrier without IntervalSeconds waits Step Functions' default 1 s, scaled like the rest.
        expect(call.Retry[0]).to.deep.include({ IntervalSeconds: 0.1, MaxDelaySeconds: 0.5 });
        // A Task without TimeoutSeconds has AWS's default (99999999 s), not the library's 60 s; Node timers stop at 2^31-1 ms.
        expect(scaled.States.Both.Branches[0].States.Slow.TimeoutSeconds).to.equal((2 ** 31 - 1) / 1000);
        expect(JSON.stringify(definition)).to.equal(written);
    });
});
