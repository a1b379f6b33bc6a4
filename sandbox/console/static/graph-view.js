// Draws a laid-out state graph (sandbox/console/state-graph.ts) as SVG, with the records the execution leads to.

import { brief, h, s } from "./dom.js";

const RECORD_HEIGHT = 40;
const RECORD_GAP = 36;

/** A path from the bottom of one box to the top of another; a loop back up goes round the right side. */
function edgePath(from, to) {
    const x1 = from.x + from.width / 2;
    const y1 = from.y + from.height;
    const x2 = to.x + to.width / 2;
    const y2 = to.y;
    if (y2 > y1) {
        const middle = (y1 + y2) / 2;
        return `M${x1},${y1} C${x1},${middle} ${x2},${middle} ${x2},${y2}`;
    }
    const side = Math.max(from.x + from.width, to.x + to.width) + 30;
    return `M${from.x + from.width},${from.y + from.height / 2} C${side},${from.y + from.height / 2} ${side},${to.y + to.height / 2} ${to.x + to.width},${to.y + to.height / 2}`;
}

function stateNode(node) {
    const compound = node.compound;
    const title = [node.type, node.status, node.entered > 1 ? `entered ${node.entered} times` : "", node.error ? `${node.error}: ${node.cause ?? ""}` : ""].filter(Boolean).join("\n");
    return s("g", { class: `state status-${node.status}${compound ? " compound" : ""}`, "data-state": node.name, "data-status": node.status },
        s("title", {}, title),
        s("rect", { x: node.x, y: node.y, width: node.width, height: node.height, rx: 6 }),
        s("text", { x: node.x + node.width / 2, y: node.y + (compound ? 17 : node.height / 2 + 4), "text-anchor": "middle" },
            node.name, node.entered > 1 ? s("tspan", { class: "count" }, ` ×${node.entered}`) : undefined));
}

/** The records the execution names by key (an order's row in the orders table): where its lifecycle goes after the run. */
function recordNodes(records, graph) {
    const width = Math.min(graph.width, 300);
    const x = (graph.width - width) / 2;
    return records.map((record, index) => {
        const y = graph.height + RECORD_GAP + index * (RECORD_HEIGHT + 10);
        const status = record.item.status;
        return s("g", { class: "record", "data-table": record.table },
            s("title", {}, brief(record.item, 600)),
            index === 0 ? s("line", { class: "edge record-edge", x1: graph.width / 2, y1: graph.height, x2: graph.width / 2, y2: y }) : undefined,
            s("rect", { x, y, width, height: RECORD_HEIGHT, rx: 6 }),
            s("text", { x: x + width / 2, y: y + 16, "text-anchor": "middle", class: "record-table" }, record.table),
            s("text", { x: x + width / 2, y: y + 32, "text-anchor": "middle", class: "record-status" }, status === undefined ? brief(record.key) : `status ${status}`));
    });
}

export function renderGraph(graph, records = []) {
    const byName = new Map(graph.nodes.map(node => [node.name, node]));
    const height = graph.height + (records.length > 0 ? RECORD_GAP + records.length * (RECORD_HEIGHT + 10) : 0);
    const width = graph.width + 40;
    return s("svg", { class: "state-graph", viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": "state graph" },
        s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
            s("path", { d: "M0,0 L10,5 L0,10 z" }))),
        graph.groups.map(group => s("rect", { class: "group", x: group.x, y: group.y, width: group.width, height: group.height, rx: 8 })),
        graph.nodes.filter(node => node.compound).map(stateNode),
        graph.edges.map(edge => s("path", { class: `edge edge-${edge.kind}`, d: edgePath(byName.get(edge.from), byName.get(edge.to)), "marker-end": "url(#arrow)" })),
        graph.nodes.filter(node => !node.compound).map(stateNode),
        recordNodes(records, graph));
}

/** The failed state with its error and cause, as text under the graph. */
export function renderFailure(failure) {
    return failure ? h("div", { class: "failure", role: "alert" },
        h("strong", {}, `${failure.state} failed: `), h("code", {}, failure.error ?? "(no error name)"),
        h("pre", {}, failure.cause ?? "")) : undefined;
}
