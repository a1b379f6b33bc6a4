import * as fs from "fs";
import type * as http from "http";
import * as path from "path";
import { answerApi, ConsoleSources } from "./api";

export type { ConsoleSources } from "./api";

/** The console's path prefix. `_console` is no valid bucket name, so the S3 fallback loses nothing (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html: lowercase letters, digits, dots, hyphens). */
export const CONSOLE_PREFIX = "/_console";
const STATIC_DIR = path.join(__dirname, "static");
/** The only files served, by extension; anything else under the prefix is a 404. */
const CONTENT_TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8" };

export function isConsolePath(pathname: string): boolean {
    return pathname === CONSOLE_PREFIX || pathname.startsWith(`${CONSOLE_PREFIX}/`);
}

function send(res: http.ServerResponse, status: number, contentType: string, body: string | Buffer, headers: Record<string, string> = {}): void {
    // The console polls: a cached answer would show a stale sandbox.
    res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body), "cache-control": "no-store", ...headers });
    res.end(body);
}

/** Serves the console page, its modules and its JSON API (`/_console/api/<name>`, GET only) from the sandbox's own port. */
export function createConsole(sources: ConsoleSources): (req: http.IncomingMessage, url: URL, res: http.ServerResponse) => Promise<void> {
    return async (req, url, res) => {
        if (req.method !== "GET" && req.method !== "HEAD") {
            send(res, 405, "application/json", JSON.stringify({ error: "the console only reads: use GET" }), { allow: "GET, HEAD" });
            return;
        }
        if (url.pathname === CONSOLE_PREFIX) {
            send(res, 301, "text/plain", "", { location: `${CONSOLE_PREFIX}/` });
            return;
        }
        const rest = url.pathname.slice(CONSOLE_PREFIX.length + 1);
        if (rest.startsWith("api/")) {
            const answer = await answerApi(sources, rest.slice("api/".length), url.searchParams);
            send(res, answer.status, "application/json", JSON.stringify(answer.body));
            return;
        }
        const file = path.resolve(STATIC_DIR, rest === "" ? "index.html" : rest);
        const contentType = CONTENT_TYPES[path.extname(file)];
        if (!contentType || path.dirname(file) !== STATIC_DIR || !fs.existsSync(file)) {
            send(res, 404, "application/json", JSON.stringify({ error: `no console file ${url.pathname}` }));
            return;
        }
        send(res, 200, contentType, fs.readFileSync(file));
    };
}
