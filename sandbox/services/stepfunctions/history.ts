import type { Execution, Json } from "./model";

export function record(execution: Execution, type: string, details: Json = {}): void {
    const id = execution.history.length + 1;
    execution.history.push({ timestamp: Date.now() / 1000, type, id, previousEventId: id - 1, ...details });
}

export function recordLibraryEvent(execution: Execution, event: Json): void {
    const state = event.state as { name: string; type: string; input?: unknown; output?: unknown } | undefined;
    switch (event.type) {
        case "StateEntered":
            record(execution, `${state!.type}StateEntered`, { stateEnteredEventDetails: { name: state!.name, input: JSON.stringify(state!.input) } });
            break;
        case "StateExited":
            record(execution, `${state!.type}StateExited`, { stateExitedEventDetails: { name: state!.name, output: JSON.stringify(state!.output) } });
            break;
        case "StateFailed":
            record(execution, state!.type === "Task" ? "TaskFailed" : `${state!.type}StateFailed`,
                { taskFailedEventDetails: { resourceName: state!.name, error: event.Error, cause: String(event.Cause) } });
            break;
        case "StateRetried":
            record(execution, "TaskScheduled", { taskScheduledEventDetails: { resourceName: state!.name, retryAttempt: event.retry?.attempt } });
            break;
        case "MapIterationStarted":
        case "MapIterationSucceeded":
        case "MapIterationFailed":
            record(execution, event.type, { mapIterationEventDetails: { name: event.parentState?.name, index: event.index } });
            break;
        default:
            break;
    }
}
