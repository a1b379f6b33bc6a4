/** An ASL definition laid out as a layered graph, its states coloured by an execution's history (SFN API HistoryEvent shapes). */

type Json = Record<string, any>;

export type StateStatus = "not-entered" | "running" | "succeeded" | "failed" | "caught";
export type EdgeKind = "next" | "choice" | "default" | "catch";

export interface GraphNode {
    name: string; type: string; x: number; y: number; width: number; height: number;
    /** A Map or Parallel drawn around its iterator or branches. */
    compound: boolean;
    status: StateStatus;
    /** How many times the state was entered (Map iterations count each). */
    entered: number;
    error?: string; cause?: string;
}
export interface GraphEdge { from: string; to: string; kind: EdgeKind }
/** A Map iterator or a Parallel branch, drawn as a box inside its state. */
export interface GraphGroup { owner: string; x: number; y: number; width: number; height: number }
export interface StateGraph { width: number; height: number; nodes: GraphNode[]; edges: GraphEdge[]; groups: GraphGroup[] }
export interface StateOutcome { status: StateStatus; entered: number; error?: string; cause?: string }

const NODE_WIDTH = 170;
const NODE_HEIGHT = 34;
const GAP_X = 24;
const GAP_Y = 40;
const PADDING = 14;
/** Room above a group's states for the owning state's label. */
const GROUP_HEADER = 26;

interface Box { width: number; height: number; place(x: number, y: number, graph: StateGraph): void }

/** Where each state may go next: Next, Choices, Default and Catch targets, in the order they are written. */
function transitions(state: Json): { to: string; kind: EdgeKind }[] {
    return [
        ...(state.Next ? [{ to: String(state.Next), kind: "next" as const }] : []),
        ...(state.Choices ?? []).map((choice: Json) => ({ to: String(choice.Next), kind: "choice" as const })),
        ...(state.Default ? [{ to: String(state.Default), kind: "default" as const }] : []),
        ...(state.Catch ?? []).map((handler: Json) => ({ to: String(handler.Next), kind: "catch" as const })),
    ];
}

/** The sub-machines a state contains: a Map's iterator (ItemProcessor or the older Iterator), a Parallel's branches. */
function children(state: Json): Json[] {
    return [state.ItemProcessor ?? state.Iterator, ...(state.Branches ?? [])].filter(Boolean);
}

/** Layer of each state: its shortest distance from StartAt (a loop back to an earlier state does not push it down); unreachable states go last. */
function layersOf(machine: Json): string[][] {
    const states: Record<string, Json> = machine.States ?? {};
    const depth = new Map<string, number>([[String(machine.StartAt), 0]]);
    const queue = [String(machine.StartAt)];
    while (queue.length > 0) {
        const name = queue.shift()!;
        for (const { to } of transitions(states[name] ?? {})) {
            if (!depth.has(to) && to in states) {
                depth.set(to, depth.get(name)! + 1);
                queue.push(to);
            }
        }
    }
    const last = Math.max(-1, ...depth.values()) + 1;
    const layers: string[][] = [];
    for (const name of Object.keys(states)) {
        (layers[depth.get(name) ?? last] ??= []).push(name);
    }
    return layers.filter(Boolean);
}

function stateBox(name: string, state: Json, outcomes: Record<string, StateOutcome>): Box {
    const inner = children(state).map(machine => machineBox(machine, outcomes));
    const node = (x: number, y: number, width: number, height: number): GraphNode => ({
        name, type: String(state.Type), x, y, width, height, compound: inner.length > 0, ...(outcomes[name] ?? { status: "not-entered", entered: 0 }),
    });
    if (inner.length === 0) {
        return { width: NODE_WIDTH, height: NODE_HEIGHT, place: (x, y, graph) => graph.nodes.push(node(x, y, NODE_WIDTH, NODE_HEIGHT)) };
    }
    const width = Math.max(NODE_WIDTH, inner.reduce((sum, box) => sum + box.width, 0) + GAP_X * (inner.length - 1) + 2 * PADDING);
    const height = GROUP_HEADER + Math.max(...inner.map(box => box.height)) + PADDING;
    return {
        width, height,
        place: (x, y, graph) => {
            graph.nodes.push(node(x, y, width, height));
            let left = x + PADDING;
            for (const box of inner) {
                graph.groups.push({ owner: name, x: left, y: y + GROUP_HEADER, width: box.width, height: box.height });
                box.place(left, y + GROUP_HEADER, graph);
                left += box.width + GAP_X;
            }
        },
    };
}

/** One state machine (or iterator, or branch): layers top to bottom, each layer's states centred side by side. */
function machineBox(machine: Json, outcomes: Record<string, StateOutcome>): Box {
    const states: Record<string, Json> = machine.States ?? {};
    const layers = layersOf(machine).map(names => names.map(name => ({ name, box: stateBox(name, states[name], outcomes) })));
    const layerWidth = (layer: { box: Box }[]) => layer.reduce((sum, item) => sum + item.box.width, 0) + GAP_X * (layer.length - 1);
    const width = Math.max(...layers.map(layerWidth)) + 2 * PADDING;
    const layerHeights = layers.map(layer => Math.max(...layer.map(item => item.box.height)));
    const height = layerHeights.reduce((sum, value) => sum + value, 0) + GAP_Y * (layers.length - 1) + 2 * PADDING;
    return {
        width, height,
        place: (x, y, graph) => {
            let top = y + PADDING;
            layers.forEach((layer, index) => {
                let left = x + (width - layerWidth(layer)) / 2;
                for (const item of layer) {
                    item.box.place(left, top, graph);
                    left += item.box.width + GAP_X;
                }
                top += layerHeights[index] + GAP_Y;
            });
            for (const [name, state] of Object.entries(states)) {
                graph.edges.push(...transitions(state).filter(({ to }) => to in states).map(({ to, kind }) => ({ from: name, to, kind })));
            }
        },
    };
}

/** The event types that end a state's attempt in failure, and where their error and cause are. */
const FAILURE_DETAILS: Record<string, string> = {
    TaskFailed: "taskFailedEventDetails", TaskTimedOut: "taskTimedOutEventDetails", TaskStartFailed: "taskStartFailedEventDetails",
    TaskSubmitFailed: "taskSubmitFailedEventDetails", LambdaFunctionFailed: "lambdaFunctionFailedEventDetails",
    LambdaFunctionTimedOut: "lambdaFunctionTimedOutEventDetails", LambdaFunctionStartFailed: "lambdaFunctionStartFailedEventDetails",
    MapStateFailed: "", ParallelStateFailed: "",
};
const EXECUTION_END_DETAILS: Record<string, string> = {
    ExecutionFailed: "executionFailedEventDetails", ExecutionTimedOut: "executionTimedOutEventDetails", ExecutionAborted: "executionAbortedEventDetails",
};

/**
 * What happened to each state: events are tied to a state by following previousEventId back to its `*StateEntered`
 * (a Map or Parallel failure to the nearest entered state of that type, as iterations sit between them). A failure
 * the run went on from is caught; one it ended with is failed.
 */
export function stateOutcomes(events: Json[], executionStatus: string): Record<string, StateOutcome> {
    const byId = new Map<number, Json>(events.map(event => [Number(event.id), event]));
    const ownerOf = (event: Json, type = ""): string | undefined => {
        for (let current: Json | undefined = event; current; current = byId.get(Number(current.previousEventId))) {
            if (String(current.type).endsWith("StateEntered") && String(current.type).startsWith(type)) {
                return current.stateEnteredEventDetails?.name;
            }
        }
        return undefined;
    };
    const outcomes: Record<string, StateOutcome> = {};
    let executionEnd: { error?: string; cause?: string } | undefined;
    for (const event of events) {
        const type = String(event.type);
        if (type.endsWith("StateEntered")) {
            // Entered straight after a failure, the way a Catch goes on: that failure was caught.
            const previous = byId.get(Number(event.previousEventId));
            const failedBefore = previous && ownerOf(previous);
            if (failedBefore && outcomes[failedBefore]?.status === "failed") {
                outcomes[failedBefore].status = "caught";
            }
            const name = event.stateEnteredEventDetails?.name;
            const outcome = outcomes[name] ??= { status: "running", entered: 0 };
            outcome.entered++;
            outcome.status = outcome.status === "failed" || outcome.status === "caught" ? outcome.status : "running";
        } else if (type.endsWith("StateExited")) {
            const outcome = outcomes[event.stateExitedEventDetails?.name];
            if (outcome && outcome.status === "running") {
                outcome.status = "succeeded";
            }
        } else if (type in FAILURE_DETAILS) {
            const owner = ownerOf(event, type.startsWith("Map") ? "Map" : type.startsWith("Parallel") ? "Parallel" : "");
            const details = event[FAILURE_DETAILS[type]] ?? {};
            if (owner && outcomes[owner]) {
                Object.assign(outcomes[owner], { status: "failed", error: details.error ?? outcomes[owner].error, cause: details.cause ?? outcomes[owner].cause });
            }
        } else if (type in EXECUTION_END_DETAILS) {
            executionEnd = event[EXECUTION_END_DETAILS[type]] ?? {};
        } else if (/^(Task|LambdaFunction)Succeeded$/.test(type)) {
            // A retry that succeeded: the state is running again, not failed.
            const owner = ownerOf(event);
            if (owner && outcomes[owner]?.status === "failed") {
                outcomes[owner].status = "running";
            }
        }
    }
    for (const outcome of Object.values(outcomes)) {
        if (outcome.status === "failed" && executionStatus !== "FAILED" && executionStatus !== "TIMED_OUT") {
            outcome.status = "caught";
        } else if (outcome.status === "running" && executionEnd && executionStatus !== "RUNNING") {
            // Left without an exit when the execution ended: the failure is the execution's own (States.* errors, aborts, timeouts).
            Object.assign(outcome, { status: "failed", error: executionEnd.error, cause: executionEnd.cause });
        }
    }
    return outcomes;
}

/** Lays out a definition and colours it with the outcomes of one execution's states. */
export function stateGraph(definition: Json, outcomes: Record<string, StateOutcome> = {}): StateGraph {
    const graph: StateGraph = { width: 0, height: 0, nodes: [], edges: [], groups: [] };
    const box = machineBox(definition, outcomes);
    box.place(0, 0, graph);
    return { ...graph, width: box.width, height: box.height };
}
