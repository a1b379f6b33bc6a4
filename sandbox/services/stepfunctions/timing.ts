import type { Clock } from "../../clock";
import type { Json } from "./model";

/** A Task state's TimeoutSeconds when the definition sets none (Amazon States Language, Task state). */
const AWS_DEFAULT_TASK_TIMEOUT_SECONDS = 99999999;
/** A Retrier's IntervalSeconds when the definition sets none. */
const DEFAULT_INTERVAL_SECONDS = 1;
/** Node timers fire at once beyond 2^31-1 ms; longer waits are capped there (about 24 days). */
const MAX_TIMER_SECONDS = (2 ** 31 - 1) / 1000;

/**
 * The definition with every duration aws-local-stepfunctions waits for given in real seconds of the sandbox's clock:
 * Retry IntervalSeconds and MaxDelaySeconds (BackoffRate and jitter then apply as written), Wait `Seconds`, Task and
 * execution TimeoutSeconds. Fractional seconds are valid for the library but not for asl-validator, so the scaled copy
 * is run unvalidated after the written definition has been validated.
 */
export function scaledDefinition(definition: Json, clock: Clock): Json {
    const seconds = (value: number) => Math.min(clock.ms(value) / 1000, MAX_TIMER_SECONDS);
    const scaleStates = (machine: Json): Json => ({
        ...machine,
        ...(machine.TimeoutSeconds !== undefined ? { TimeoutSeconds: seconds(machine.TimeoutSeconds) } : {}),
        States: Object.fromEntries(Object.entries<Json>(machine.States ?? {}).map(([name, state]) => [name, scaleState(state)])),
    });
    const scaleState = (state: Json): Json => {
        const scaled: Json = { ...state };
        if (state.Retry) {
            scaled.Retry = state.Retry.map((retrier: Json) => ({
                ...retrier,
                IntervalSeconds: seconds(retrier.IntervalSeconds ?? DEFAULT_INTERVAL_SECONDS),
                ...(retrier.MaxDelaySeconds !== undefined ? { MaxDelaySeconds: seconds(retrier.MaxDelaySeconds) } : {}),
            }));
        }
        if (state.Type === "Wait" && state.Seconds !== undefined) {
            scaled.Seconds = seconds(state.Seconds);
        }
        if (state.Type === "Task" && state.TimeoutSecondsPath === undefined) {
            scaled.TimeoutSeconds = seconds(state.TimeoutSeconds ?? AWS_DEFAULT_TASK_TIMEOUT_SECONDS);
        }
        if (state.Iterator) {
            scaled.Iterator = scaleStates(state.Iterator);
        }
        if (state.ItemProcessor) {
            scaled.ItemProcessor = scaleStates(state.ItemProcessor);
        }
        if (state.Branches) {
            scaled.Branches = state.Branches.map(scaleStates);
        }
        return scaled;
    };
    return scaleStates(definition);
}
