// Small DOM and formatting helpers shared by the console's panels.

const SVG_NS = "http://www.w3.org/2000/svg";

/** An element with attributes (`on*` functions become listeners) and children (strings become text). */
export function h(tag, attributes = {}, ...children) {
    const element = document.createElement(tag);
    return fill(element, attributes, children);
}

/** The same for SVG elements. */
export function s(tag, attributes = {}, ...children) {
    return fill(document.createElementNS(SVG_NS, tag), attributes, children);
}

function fill(element, attributes, children) {
    for (const [name, value] of Object.entries(attributes)) {
        if (value === undefined || value === null || value === false) {
            continue;
        }
        if (name.startsWith("on") && typeof value === "function") {
            element.addEventListener(name.slice(2), value);
        } else {
            element.setAttribute(name, String(value));
        }
    }
    element.append(...children.flat().filter(child => child !== undefined && child !== null && child !== false));
    return element;
}

/** GETs one console API; rejects with the API's own error text. */
export async function api(name, query = {}) {
    const response = await fetch(`api/${name}?${new URLSearchParams(query)}`);
    const body = await response.json();
    if (!response.ok) {
        throw new Error(body.error ?? `${response.status} ${response.statusText}`);
    }
    return body;
}

export function duration(ms) {
    if (ms === undefined || ms === null) {
        return "";
    }
    return ms < 1000 ? `${Math.round(ms)} ms` : ms < 60000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

export function clockTime(ms) {
    return ms === undefined || ms === null ? "" : new Date(ms).toISOString().slice(11, 23);
}

/** A value as one line of text, shortened for a table cell. */
export function brief(value, max = 120) {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function badge(status) {
    return h("span", { class: `badge status-${String(status).toLowerCase()}` }, String(status));
}

export function unavailable(what) {
    return h("p", { class: "unavailable" }, `${what} is not running in this sandbox.`);
}
