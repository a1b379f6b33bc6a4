/** Text on one line: every run of whitespace or control characters becomes one space. */
export function oneLine(text: string): string {
    return text.replace(/[\s\p{Cc}]+/gu, " ").trim();
}

/** UTF-8 bytes of `text`, what SNS counts against a message's size. */
export function utf8Bytes(text: string): number {
    return Buffer.byteLength(text, "utf8");
}

/**
 * `text` cut to at most `maxChars` code points and `maxBytes` UTF-8 bytes, ending in `ellipsis` when cut.
 * Cuts between code points, so a cut never splits a surrogate pair.
 */
export function fitText(text: string, maxChars: number, maxBytes = Number.POSITIVE_INFINITY, ellipsis = "…"): string {
    const points = Array.from(text);
    if (points.length <= maxChars && utf8Bytes(text) <= maxBytes) {
        return text;
    }
    let kept = "";
    let bytes = utf8Bytes(ellipsis);
    for (const point of points.slice(0, Math.max(0, maxChars - Array.from(ellipsis).length))) {
        bytes += utf8Bytes(point);
        if (bytes > maxBytes) {
            break;
        }
        kept += point;
    }
    return kept + ellipsis;
}

/** `text` cut in the middle to at most `maxChars` code points, so both its start and its end (a file name) stay. */
export function fitMiddle(text: string, maxChars: number, ellipsis = "…"): string {
    const points = Array.from(text);
    if (points.length <= maxChars) {
        return text;
    }
    const room = maxChars - Array.from(ellipsis).length;
    const head = Math.ceil(room / 2);
    return points.slice(0, head).join("") + ellipsis + points.slice(points.length - (room - head)).join("");
}
