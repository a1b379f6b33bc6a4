import { expect } from "chai";
import { GraphNode, stateGraph, stateOutcomes } from "../../sandbox/console/state-graph";

const TASK = { Type: "Task", Resource: "arn:aws:states:::lambda:invoke" };

/** A definition with every way ASL links states: Next, Choices, Default, Catch, a Map iterator and Parallel branches. */
const DEFINITION = {
    StartAt: "Start",
    States: {
        Start: { Type: "Pass", Next: "Copy" },
        Copy: {
            Type: "Map", ItemsPath: "$.items", Next: "Check",
            ItemProcessor: { StartAt: "CopyOne", States: { CopyOne: { ...TASK, Catch: [{ ErrorEquals: ["States.ALL"], Next: "RecordFailure" }], End: true }, RecordFailure: { Type: "Pass", End: true } } },
        },
        Check: { Type: "Choice", Choices: [{ Variable: "$.ok", BooleanEquals: true, Next: "Done" }], Default: "Notify" },
        Notify: { Type: "Parallel", Next: "Done", Branches: [{ StartAt: "Email", States: { Email: { ...TASK, End: true } } }, { StartAt: "Page", States: { Page: { ...TASK, End: true } } }] },
        Done: { Type: "Succeed" },
    },
};

/** History events as GetExecutionHistory returns them, numbered, each following the one before unless told. */
function history(...events: [string, Record<string, unknown>?, number?][]): Record<string, unknown>[] {
    return events.map(([type, details = {}, previous], index) => ({ id: index + 1, previousEventId: previous ?? index, type, timestamp: index, ...details }));
}
const entered = (name: string, type = "Task"): [string, Record<string, unknown>] => [`${type}StateEntered`, { stateEnteredEventDetails: { name } }];
const exited = (name: string, type = "Task"): [string, Record<string, unknown>] => [`${type}StateExited`, { stateExitedEventDetails: { name } }];
const taskFailed = (error: string, cause: string): [string, Record<string, unknown>] => ["TaskFailed", { taskFailedEventDetails: { error, cause } }];

function inside(inner: GraphNode, outer: GraphNode): boolean {
    return inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;
}

describe("console state graph", () => {
    describe("layout", () => {
        const graph = stateGraph(DEFINITION);
        const node = (name: string) => graph.nodes.find(item => item.name === name)!;

        it("draws every state, nested ones included, and every transition with its kind", () => {
            expect(graph.nodes.map(item => item.name)).to.have.members(["Start", "Copy", "CopyOne", "RecordFailure", "Check", "Notify", "Email", "Page", "Done"]);
            expect(graph.edges).to.have.deep.members([
                { from: "Start", to: "Copy", kind: "next" }, { from: "Copy", to: "Check", kind: "next" },
                { from: "CopyOne", to: "RecordFailure", kind: "catch" },
                { from: "Check", to: "Done", kind: "choice" }, { from: "Check", to: "Notify", kind: "default" }, { from: "Notify", to: "Done", kind: "next" },
            ]);
        });

        it("puts each state below the one it comes from and the Map and Parallel states around their iterator and branches", () => {
            expect(node("Copy").y).to.be.greaterThan(node("Start").y);
            expect(node("Check").y).to.be.greaterThan(node("Copy").y + node("Copy").height - 1);
            expect(node("Notify").y).to.be.greaterThan(node("Check").y);
            expect(node("Copy").compound && node("Notify").compound && !node("Check").compound).to.equal(true);
            expect(inside(node("CopyOne"), node("Copy")) && inside(node("RecordFailure"), node("Copy"))).to.equal(true);
            expect(inside(node("Email"), node("Notify")) && inside(node("Page"), node("Notify"))).to.equal(true);
            expect(node("Email").x + node("Email").width).to.be.at.most(node("Page").x);
            expect(graph.groups.map(group => group.owner)).to.deep.equal(["Copy", "Notify", "Notify"]);
            for (const item of graph.nodes) {
                expect(item.x + item.width <= graph.width && item.y + item.height <= graph.height, item.name).to.equal(true);
            }
        });

        it("keeps a loop back to an earlier state from pushing it down", () => {
            const looping = stateGraph({ StartAt: "Poll", States: { Poll: { ...TASK, Next: "Ready?" }, "Ready?": { Type: "Choice", Choices: [{ Variable: "$.done", BooleanEquals: false, Next: "Poll" }], Default: "End" }, End: { Type: "Succeed" } } });
            const y = Object.fromEntries(looping.nodes.map(item => [item.name, item.y]));
            expect(y.Poll).to.be.lessThan(y["Ready?"]);
            expect(y["Ready?"]).to.be.lessThan(y.End);
        });
    });

    describe("outcomes from the history", () => {
        it("a Task that failed, was retried and then succeeded is succeeded", () => {
            const outcomes = stateOutcomes(history(["ExecutionStarted"], entered("Copy"), ["TaskScheduled"], taskFailed("Lambda.ServiceException", "busy"), ["TaskScheduled"], ["TaskSucceeded"], exited("Copy"), ["ExecutionSucceeded"]), "SUCCEEDED");
            expect(outcomes.Copy).to.include({ status: "succeeded", entered: 1 });
        });

        it("the Task whose failure ended the execution is failed, with its error and cause; later states were never entered", () => {
            const outcomes = stateOutcomes(history(["ExecutionStarted"], entered("Start", "Pass"), exited("Start", "Pass"), entered("Email"), ["TaskScheduled"], taskFailed("SNS.NotFound", "topic gone"),
                ["ExecutionFailed", { executionFailedEventDetails: { error: "SNS.NotFound", cause: "topic gone" } }]), "FAILED");
            expect(outcomes.Start.status).to.equal("succeeded");
            expect(outcomes.Email).to.include({ status: "failed", error: "SNS.NotFound", cause: "topic gone" });
            expect(outcomes.Done).to.equal(undefined);
        });

        it("a caught failure is caught once the execution goes on to succeed; a running state is running", () => {
            const events = history(["ExecutionStarted"], entered("CopyOne"), ["TaskScheduled"], taskFailed("NoSuchKey", "missing"), entered("RecordFailure", "Pass"));
            expect(stateOutcomes(events, "RUNNING").RecordFailure.status).to.equal("running");
            const done = stateOutcomes([...events, ...history(exited("RecordFailure", "Pass"), ["ExecutionSucceeded"]).map(event => ({ ...event, id: Number(event.id) + events.length, previousEventId: Number(event.previousEventId) + events.length }))], "SUCCEEDED");
            expect(done.CopyOne).to.include({ status: "caught", error: "NoSuchKey" });
            expect(done.RecordFailure.status).to.equal("succeeded");
        });

        it("a caught failure stays caught when the run later ends in a Fail state, which is the failed one", () => {
            const outcomes = stateOutcomes(history(["ExecutionStarted"], entered("CopyOne"), ["TaskScheduled"], taskFailed("NoSuchBucket", "no bucket"), entered("RecordFailure", "Pass"),
                exited("RecordFailure", "Pass"), entered("SomeCopiesFailed", "Fail"), ["ExecutionFailed", { executionFailedEventDetails: { error: "SomeCopiesFailed", cause: "1 of 2 copies failed" } }]), "FAILED");
            expect(outcomes.CopyOne).to.include({ status: "caught", error: "NoSuchBucket" });
            expect(outcomes.SomeCopiesFailed).to.include({ status: "failed", error: "SomeCopiesFailed", cause: "1 of 2 copies failed" });
        });

        it("a state the execution failed in without a task failure (a path that matched nothing) carries the execution's error", () => {
            const outcomes = stateOutcomes(history(["ExecutionStarted"], entered("Start", "Pass"),
                ["ExecutionFailed", { executionFailedEventDetails: { error: "States.Runtime", cause: "path $.orderId matched nothing" } }]), "FAILED");
            expect(outcomes.Start).to.include({ status: "failed", error: "States.Runtime", cause: "path $.orderId matched nothing" });
        });

        it("a Map's failure goes to the Map, past the iterations between them; the graph shows it", () => {
            const events = history(["ExecutionStarted"], entered("Copy", "Map"), ["MapStateStarted"], ["MapIterationStarted"], entered("CopyOne"), taskFailed("Boom", "b"), ["MapIterationFailed"],
                ["MapStateFailed", {}, 7], ["ExecutionFailed", { executionFailedEventDetails: { error: "States.BranchFailed", cause: "iteration 0" } }]);
            const outcomes = stateOutcomes(events, "FAILED");
            expect(outcomes.Copy.status).to.equal("failed");
            expect(outcomes.CopyOne).to.include({ status: "failed", error: "Boom" });
            const graph = stateGraph(DEFINITION, outcomes);
            expect(graph.nodes.filter(item => item.status === "failed").map(item => item.name)).to.have.members(["Copy", "CopyOne"]);
            expect(graph.nodes.find(item => item.name === "Check")!.status).to.equal("not-entered");
        });
    });
});
