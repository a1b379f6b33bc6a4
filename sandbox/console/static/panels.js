// One render function per panel: data from the console API in, elements out.

import { badge, brief, clockTime, duration, h, unavailable } from "./dom.js";
import { renderFailure, renderGraph } from "./graph-view.js";

function table(headings, rows) {
    return h("table", {}, h("thead", {}, h("tr", {}, headings.map(heading => h("th", {}, heading)))), h("tbody", {}, rows));
}

export function renderSystems(data) {
    return data.systems.map(system => h("section", { class: "system", "data-system": system.name },
        h("h3", {}, system.name, h("span", { class: "kind" }, ` ${system.type}`)),
        table(["output", "value", "resource"], system.outputs.map(output => h("tr", {},
            h("td", {}, output.key), h("td", { class: "value" }, brief(output.value, 200)), h("td", { class: "kind" }, output.resourceType ?? ""))))));
}

export function renderExecutions(data, selectedArn, select) {
    if (!data.available) {
        return unavailable("Step Functions");
    }
    return data.stateMachines.map(machine => h("section", { class: "machine" },
        h("h3", {}, machine.name),
        machine.executions.length === 0 ? h("p", { class: "empty" }, "no executions yet") : table(["execution", "status", "started", "duration"],
            machine.executions.map(run => h("tr", {
                class: `clickable${run.arn === selectedArn ? " selected" : ""}`, "data-execution-arn": run.arn, tabindex: 0,
                onclick: () => select(run.arn), onkeydown: event => event.key === "Enter" && select(run.arn),
            }, h("td", {}, run.name), h("td", {}, badge(run.status)), h("td", {}, clockTime(run.startMs)), h("td", {}, duration(run.durationMs)))))));
}

export function renderExecution(data) {
    return [
        h("h3", {}, data.name, " ", badge(data.status), h("span", { class: "kind" }, ` ${duration(data.durationMs)}`)),
        h("div", { id: "execution-graph", "data-execution-arn": data.arn, "data-status": data.status }, renderGraph(data.graph, data.records)),
        renderFailure(data.failure),
        h("p", { class: "legend" }, ["succeeded", "running", "failed", "caught", "not-entered"].map(status => h("span", { class: `key status-${status}` }, status))),
    ];
}

export function renderQueues(data, selectedQueue, peek) {
    if (!data.available) {
        return unavailable("SQS");
    }
    return table(["queue", "visible", "in flight", "delayed", "dead-letter queue", ""], data.queues.map(queue => h("tr", { "data-queue": queue.name, class: queue.name === selectedQueue ? "selected" : undefined },
        h("td", {}, queue.name), h("td", { class: "number" }, queue.visible), h("td", { class: "number" }, queue.inFlight), h("td", { class: "number" }, queue.delayed),
        h("td", {}, queue.deadLetter ? [queue.deadLetter.name, " ", h("span", { class: `depth${queue.deadLetter.visible > 0 ? " nonzero" : ""}` }, String(queue.deadLetter.visible)), ` after ${queue.maxReceiveCount} receives`] : ""),
        h("td", {}, h("button", { type: "button", onclick: () => peek(queue.name) }, "peek")))));
}

export function renderMessages(queue, data) {
    if (!data.available) {
        return unavailable("The SQS peek");
    }
    return [
        h("h4", {}, `${queue}: ${data.messages.length === 0 ? "empty" : `first ${data.messages.length}`} (peeking receives nothing)`),
        data.messages.length === 0 ? undefined : table(["message", "state", "receives", "sent", "body"], data.messages.map(message => h("tr", {},
            h("td", {}, message.MessageId), h("td", {}, message.state), h("td", { class: "number" }, message.ApproximateReceiveCount),
            h("td", {}, clockTime(message.SentTimestamp)), h("td", { class: "value" }, brief(message.Body, 200))))),
    ];
}

export function renderTables(data) {
    if (!data.available) {
        return unavailable("DynamoDB");
    }
    return data.tables.map(summary => h("section", { class: "table", "data-table": summary.name },
        h("h3", {}, summary.name, h("span", { class: "kind" }, ` ${summary.itemCount} items, key ${summary.keys.join(" + ")}`)),
        summary.newest.length === 0 ? undefined : h("ol", { class: "items", title: summary.orderedBy === "time" ? "newest first" : "in scan order (no time attribute)" },
            summary.newest.map(item => h("li", { class: "value" }, brief(item, 240))))));
}

export function renderAlarms(data) {
    if (!data.available) {
        return unavailable("CloudWatch");
    }
    if (data.alarms.length === 0) {
        return h("p", { class: "empty" }, "no alarms");
    }
    return data.alarms.map(alarm => h("section", { class: "alarm", "data-alarm": alarm.name },
        h("h3", {}, alarm.name, " ", badge(alarm.state), h("span", { class: "kind" }, ` since ${clockTime(alarm.updatedMs)}`)),
        h("p", {}, alarm.metric ?? "", alarm.reason ? h("br") : undefined, alarm.reason ?? ""),
        alarm.history.length === 0 ? undefined : h("ul", { class: "history" }, alarm.history.map(item => h("li", {}, `${clockTime(item.timestampMs)} ${item.type}: ${item.summary}`)))));
}

export function renderFunctionChoice(data, selected, choose) {
    if (!data.available) {
        return unavailable("Lambda");
    }
    return h("label", {}, "function ", h("select", { id: "log-function", onchange: event => choose(event.target.value) },
        h("option", { value: "" }, "choose a function"),
        data.functions.map(fn => h("option", { value: fn.logGroup, selected: fn.logGroup === selected ? "selected" : undefined }, fn.name))));
}

export function logLine(event) {
    return h("div", { class: "log-line", "data-event-id": event.id }, h("span", { class: "time" }, clockTime(event.timestampMs)), " ", event.message);
}
