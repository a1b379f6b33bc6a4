// The console's state and polling: every panel refreshes on one timer; the log tail appends only new lines.

import { api, h, unavailable } from "./dom.js";
import { logLine, renderAlarms, renderExecution, renderExecutions, renderFunctionChoice, renderMessages, renderQueues, renderSystems, renderTables } from "./panels.js";

/** Two seconds: live enough to follow an execution at the sandbox's 0.1 time scale, light on a shared machine. */
const POLL_MS = 2000;

/** `#execution=<arn>` names the execution shown, so a link or a reload keeps it. */
function executionInHash() {
    return new URLSearchParams(location.hash.slice(1)).get("execution") ?? undefined;
}

const selection = {
    execution: executionInHash(),
    queue: undefined,
    logGroup: undefined,
};
const tail = { since: 0, seen: new Set() };

function panel(id) {
    return document.querySelector(`#${id} .content`);
}

/** Replaces a panel's content, or shows why it could not be loaded while keeping the last good view. */
async function show(id, load) {
    const target = panel(id);
    const error = document.querySelector(`#${id} .error`);
    try {
        const content = await load();
        target.replaceChildren(...[content].flat().filter(Boolean));
        error.textContent = "";
    } catch (failure) {
        error.textContent = failure.message;
    }
}

function selectExecution(arn) {
    selection.execution = arn;
    history.replaceState(null, "", `#${new URLSearchParams({ execution: arn })}`);
    void refresh();
}

function peek(queue) {
    selection.queue = queue;
    void refresh();
}

function chooseLogGroup(group) {
    selection.logGroup = group || undefined;
    tail.since = 0;
    tail.seen.clear();
    panel("logs").replaceChildren();
    void refresh();
}

/** Appends the lines not shown yet and keeps the view at the bottom when it was there (a tail that follows). */
async function followLogs() {
    if (!selection.logGroup) {
        return;
    }
    const data = await api("logs", { group: selection.logGroup, since: tail.since });
    const lines = panel("logs");
    if (!data.available) {
        lines.replaceChildren(unavailable("CloudWatch Logs"));
        return;
    }
    const atBottom = lines.scrollTop + lines.clientHeight >= lines.scrollHeight - 4;
    const fresh = data.events.filter(event => !tail.seen.has(event.id));
    fresh.forEach(event => tail.seen.add(event.id));
    lines.append(...fresh.map(logLine));
    // Lines of the same millisecond may still arrive: the next request starts at the last one's time and drops the ids it has.
    tail.since = Math.max(tail.since, ...data.events.map(event => event.timestampMs));
    if (atBottom) {
        lines.scrollTop = lines.scrollHeight;
    }
}

async function refresh() {
    await Promise.all([
        show("executions", async () => renderExecutions(await api("executions"), selection.execution, selectExecution)),
        selection.execution ? show("execution", async () => renderExecution(await api("execution", { arn: selection.execution }))) : undefined,
        show("queues", async () => renderQueues(await api("queues"), selection.queue, peek)),
        selection.queue ? show("messages", async () => renderMessages(selection.queue, await api("messages", { queue: selection.queue }))) : undefined,
        show("tables", async () => renderTables(await api("tables"))),
        show("alarms", async () => renderAlarms(await api("alarms"))),
        followLogs().catch(failure => { document.querySelector("#logs .error").textContent = failure.message; }),
    ]);
    document.querySelector("#updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
}

async function start() {
    await show("systems", async () => renderSystems(await api("systems")));
    await show("functions", async () => renderFunctionChoice(await api("functions"), selection.logGroup, chooseLogGroup));
    for (;;) {
        await refresh();
        await new Promise(resolve => setTimeout(resolve, POLL_MS));
    }
}

window.addEventListener("hashchange", () => {
    selection.execution = executionInHash();
    void refresh();
});
document.querySelector("#updated").replaceChildren(h("span", {}, "loading…"));
void start();
