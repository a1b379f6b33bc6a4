/**
 * The sandbox's one time scale. Every wait the program configures (Step Functions retry intervals, Wait states and
 * timeouts, SQS visibility timeouts and delays, Lambda timeouts) lasts `scale` times as long in real time, so retry
 * and redrive paths measured in minutes on AWS finish within a test run; 1 is real time. A Lambda timeout bounds the
 * handler only: worker start and module load are init, which AWS counts apart (its own 10 s limit); and it never
 * scales below a few real seconds (MIN_HANDLER_MS in functions.ts), because work does not run faster with the clock.
 */
export class Clock {
    constructor(readonly scale = 1) {
        if (!Number.isFinite(scale) || scale <= 0) {
            throw new Error(`the time scale must be a positive number, got ${scale}`);
        }
    }

    /** A configured duration in seconds as real milliseconds. */
    ms(seconds: number): number {
        return seconds * 1000 * this.scale;
    }

    /** Real milliseconds as the configured seconds they stand for. */
    seconds(ms: number): number {
        return ms / 1000 / this.scale;
    }
}

export const REAL_TIME = new Clock(1);
