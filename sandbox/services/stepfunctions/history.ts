import type { HistoryEvent, Json } from "./model";

/** One run of a Task state's resource, as the sandbox's handler saw it: what it was given and how it ended. */
export interface TaskCall {
    stateName: string;
    parameters: unknown;
    startedAt: number;
    endedAt?: number;
    output?: unknown;
    failed?: boolean;
}

/** A library state event (aws-local-stepfunctions `EventLog`). */
interface LibraryEvent {
    type: string;
    timestamp: number;
    index?: number;
    state?: { name: string; type: string; input?: unknown; output?: unknown };
    parentState?: { name: string };
    Error?: string;
    Cause?: unknown;
}

/** Where a Task resource shows in the history: the legacy Lambda ARN form has its own LambdaFunction* events. */
function describeResource(resource: string): { lambda: true } | { lambda: false; resourceType: string; resource: string } {
    const integration = /^arn:aws:states:::(.+):([^:]+)$/.exec(resource);
    if (integration) {
        return { lambda: false, resourceType: integration[1], resource: integration[2] };
    }
    return /^arn:aws:lambda:/.test(resource) ? { lambda: true } : { lambda: false, resourceType: "unknown", resource };
}

const ROOT = "execution";

/**
 * An execution's history with AWS's event types and detail shapes (HistoryEvent in the SFN API reference): state
 * events from the library's event log, task events from the sandbox's handler calls, each event's previousEventId the
 * last event of its lane (the execution or one Map iteration).
 */
export class ExecutionHistory {
    readonly events: HistoryEvent[] = [];
    private readonly lastIdOfLane = new Map<string, number>();
    private readonly mapLanes = new Map<string, string>();
    private readonly waitingCalls = new Map<string, TaskCall[]>();
    private readonly callOfLane = new Map<string, TaskCall>();
    private readonly iterationsLeft = new Map<string, number>();
    private held?: { map: string; events: LibraryEvent[] };

    /**
     * @param region shown in TaskScheduled events
     * @param resources each Task state's Resource by state name
     * @param mapLength the item count a Map state will iterate over, from its raw input (undefined when unknown)
     */
    constructor(private readonly region: string, private readonly resources: Record<string, string>,
                private readonly mapLength: (stateName: string, input: unknown) => number | undefined) {}

    add(type: string, details: Json = {}, lane = ROOT, timestamp = Date.now(), previousEventId = this.lastIdOfLane.get(lane) ?? 0): number {
        const id = this.events.length + 1;
        this.events.push({ timestamp: timestamp / 1000, type, id, previousEventId, ...details });
        this.lastIdOfLane.set(lane, id);
        return id;
    }

    /** Called by the Task handler when it starts; the call is bound to a lane when the library reports the state. */
    taskStarted(stateName: string, parameters: unknown): TaskCall {
        const call: TaskCall = { stateName, parameters, startedAt: Date.now() };
        this.waitingCalls.set(stateName, [...(this.waitingCalls.get(stateName) ?? []), call]);
        return call;
    }

    /**
     * The library forwards each Map iteration's events through its own loop, so an iteration's last events can arrive
     * after the Map state has exited: the execution's own events wait until every iteration of that Map has ended.
     */
    record(event: LibraryEvent): void {
        const ownEvent = event.index === undefined && !event.type.startsWith("MapIteration");
        if (this.held) {
            if (ownEvent) {
                this.held.events.push(event);
            } else {
                this.apply(event);
            }
            if ((this.iterationsLeft.get(this.held.map) ?? 0) <= 0) {
                this.flush();
            }
        } else if (ownEvent && event.type === "StateExited" && event.state!.type === "Map" && (this.iterationsLeft.get(event.state!.name) ?? 0) > 0) {
            this.held = { map: event.state!.name, events: [event] };
        } else {
            this.apply(event);
        }
    }

    /** Records what was held back; called when the execution ends, after the library's last event. */
    flush(): void {
        const events = this.held?.events ?? [];
        this.held = undefined;
        events.forEach(event => this.record(event));
    }

    private apply(event: LibraryEvent): void {
        const lane = event.index === undefined ? ROOT : `iteration ${event.index}`;
        const state = event.state;
        switch (event.type) {
            case "StateEntered":
                this.add(`${state!.type}StateEntered`, { stateEnteredEventDetails: { name: state!.name, input: JSON.stringify(state!.input) } }, lane, event.timestamp);
                if (state!.type === "Task") {
                    this.schedule(state!.name, lane);
                } else if (state!.type === "Map") {
                    this.mapLanes.set(state!.name, lane);
                    const length = this.mapLength(state!.name, state!.input);
                    this.iterationsLeft.set(state!.name, length ?? 0);
                    this.add("MapStateStarted", { mapStateStartedEventDetails: length === undefined ? {} : { length } }, lane, event.timestamp);
                } else if (state!.type === "Parallel") {
                    this.add("ParallelStateStarted", {}, lane, event.timestamp);
                }
                break;
            case "StateRetried":
                this.schedule(state!.name, lane);
                break;
            case "StateFailed":
                if (state!.type === "Task") {
                    this.finishTask(lane, event);
                } else if (state!.type === "Map" || state!.type === "Parallel") {
                    this.add(`${state!.type}StateFailed`, {}, lane, event.timestamp);
                }
                break;
            case "StateExited":
                if (state!.type === "Task") {
                    this.finishTask(lane, event);
                } else if (state!.type === "Map" || state!.type === "Parallel") {
                    this.add(`${state!.type}StateSucceeded`, {}, lane, event.timestamp);
                }
                this.add(`${state!.type}StateExited`, { stateExitedEventDetails: { name: state!.name, output: JSON.stringify(state!.output) } }, lane, event.timestamp);
                break;
            case "MapIterationStarted":
            case "MapIterationSucceeded":
            case "MapIterationFailed": {
                const iteration = `iteration ${event.index}`;
                const details = { [`${event.type.charAt(0).toLowerCase()}${event.type.slice(1)}EventDetails`]: { name: event.parentState!.name, index: event.index } };
                const mapLane = this.mapLanes.get(event.parentState!.name) ?? ROOT;
                const id = this.add(event.type, details, iteration, event.timestamp, event.type === "MapIterationStarted" ? this.lastIdOfLane.get(mapLane) : undefined);
                if (event.type !== "MapIterationStarted") {
                    this.iterationsLeft.set(event.parentState!.name, (this.iterationsLeft.get(event.parentState!.name) ?? 0) - 1);
                    // The Map state's own next event (MapStateSucceeded/Failed) follows its last finished iteration.
                    this.lastIdOfLane.set(mapLane, id);
                }
                break;
            }
            default:
                break;
        }
    }

    /** TaskScheduled and TaskStarted (LambdaFunctionScheduled/Started for a Lambda ARN) for the state's next handler call. */
    private schedule(stateName: string, lane: string): void {
        const call = this.waitingCalls.get(stateName)?.shift();
        if (!call) {
            return;
        }
        this.callOfLane.set(lane, call);
        const target = describeResource(this.resources[stateName] ?? "");
        if (target.lambda) {
            this.add("LambdaFunctionScheduled", { lambdaFunctionScheduledEventDetails: { resource: this.resources[stateName], input: JSON.stringify(call.parameters) } }, lane, call.startedAt);
            this.add("LambdaFunctionStarted", {}, lane, call.startedAt);
            return;
        }
        const { resourceType, resource } = target;
        this.add("TaskScheduled", { taskScheduledEventDetails: { resourceType, resource, region: this.region, parameters: JSON.stringify(call.parameters) } }, lane, call.startedAt);
        this.add("TaskStarted", { taskStartedEventDetails: { resourceType, resource } }, lane, call.startedAt);
    }

    /** The outcome of the lane's handler call: succeeded, failed, or timed out (States.Timeout from the state's TimeoutSeconds). */
    private finishTask(lane: string, event: LibraryEvent): void {
        const call = this.callOfLane.get(lane);
        if (!call) {
            return;
        }
        this.callOfLane.delete(lane);
        const target = describeResource(this.resources[call.stateName] ?? "");
        const at = call.endedAt ?? event.timestamp;
        if (call.endedAt !== undefined && !call.failed) {
            const output = JSON.stringify(call.output ?? null);
            this.add(target.lambda ? "LambdaFunctionSucceeded" : "TaskSucceeded",
                target.lambda ? { lambdaFunctionSucceededEventDetails: { output } } : { taskSucceededEventDetails: { resourceType: target.resourceType, resource: target.resource, output } }, lane, at);
            return;
        }
        const failure = { error: event.Error, cause: typeof event.Cause === "string" ? event.Cause : JSON.stringify(event.Cause ?? "") };
        const timedOut = event.Error === "States.Timeout";
        if (target.lambda) {
            this.add(timedOut ? "LambdaFunctionTimedOut" : "LambdaFunctionFailed", { [timedOut ? "lambdaFunctionTimedOutEventDetails" : "lambdaFunctionFailedEventDetails"]: failure }, lane, at);
        } else {
            this.add(timedOut ? "TaskTimedOut" : "TaskFailed",
                { [timedOut ? "taskTimedOutEventDetails" : "taskFailedEventDetails"]: { resourceType: target.resourceType, resource: target.resource, ...failure } }, lane, at);
        }
    }
}
