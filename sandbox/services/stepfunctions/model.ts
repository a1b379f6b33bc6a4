import type { ExecutionHistory } from "./history";
import type { StateMachine } from "./library";

export type Json = Record<string, any>;
export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

export interface HistoryEvent { timestamp: number; type: string; id: number; previousEventId: number; [details: string]: unknown }

export interface Execution {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    input: string;
    status: ExecutionStatus;
    startDate: number;
    stopDate?: number;
    output?: string;
    error?: string;
    cause?: string;
    history: ExecutionHistory;
    abort: () => void;
}

export interface Machine {
    arn: string;
    name: string;
    roleArn: string;
    definitionText: string;
    definition: Json;
    creationDate: number;
    runner?: StateMachine;
    /** Every state by name, nested ones included. */
    states: Record<string, Json>;
    /** Task state name → its Resource, and the sandbox function serving it. */
    resources: Record<string, string>;
    handlers: Record<string, (input: any) => Promise<any>>;
}

/** An AWS-shaped service error: `__type` and status on the wire, `name` for the SDK. */
export class ServiceError extends Error {
    constructor(public readonly code: string, message: string, public readonly status = 400) {
        super(message);
        this.name = code;
    }
}

/** Every state of a definition, nested Map iterators and Parallel branches included. */
export function allStates(definition: Json): [string, Json][] {
    return Object.entries<Json>(definition.States ?? {}).flatMap(([name, state]) => [
        [name, state] as [string, Json],
        ...(state.Iterator ? allStates(state.Iterator) : []),
        ...(state.ItemProcessor ? allStates(state.ItemProcessor) : []),
        ...(state.Branches ?? []).flatMap(allStates),
    ]);
}
