import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { RUNTIME_PROVIDED_SCOPES } from "../../functions/shared/runtime-provided";

const RUNTIME_PROVIDED = new RegExp(`^node_modules/(${RUNTIME_PROVIDED_SCOPES.join("|")})/`);

// @vercel/nft is asynchronous while CallbackFunction needs its include list up front, so it runs in a child process.
const TRACE_SCRIPT = `
const { nodeFileTrace } = require("@vercel/nft");
nodeFileTrace(process.argv.slice(1), { base: process.cwd() })
  .then(r => process.stdout.write(JSON.stringify([...r.fileList])))
  .catch(e => { console.error(e); process.exit(1); });
`;

const traceCache = new Map<string, string[]>();

/**
 * The files `require()` reaches from each package's CommonJS entry (traced by @vercel/nft), plus the
 * `package.json` files Node needs to resolve them: a package's runtime code without its types, maps,
 * ESM twin or docs. Paths are relative to the project root, which is where Pulumi runs the program.
 */
export function runtimePackageFiles(packages: string[]): string[] {
    const key = [...packages].sort().join(",");
    const cached = traceCache.get(key);
    if (cached) {
        return cached;
    }
    const root = process.cwd();
    const entries = packages.map(name => path.relative(root, require.resolve(name, { paths: [root] })));
    const traced = entries.length ? traceOnce(root, entries) : [];
    const files = new Set<string>();
    for (const file of traced.map(f => f.split(path.sep).join("/"))) {
        if (!file.startsWith("node_modules/") || RUNTIME_PROVIDED.test(file)) {
            continue;
        }
        files.add(file);
        for (const manifest of manifestsAbove(root, file)) {
            files.add(manifest);
        }
    }
    const result = [...files].sort();
    traceCache.set(key, result);
    return result;
}

/**
 * The trace of `entries`, from node_modules/.cache when a run with the same lockfile already traced them: installed
 * packages change only with package-lock.json, and a trace is a child process that blocks the program for ~0.4 s.
 */
function traceOnce(root: string, entries: string[]): string[] {
    const lockfile = path.join(root, "package-lock.json");
    const key = fs.existsSync(lockfile) ? createHash("sha256").update(fs.readFileSync(lockfile)).update(JSON.stringify(entries)).digest("hex").slice(0, 32) : undefined;
    const cacheFile = key && path.join(root, "node_modules", ".cache", "serverless-pipelines", `trace-${key}.json`);
    if (cacheFile && fs.existsSync(cacheFile)) {
        return JSON.parse(fs.readFileSync(cacheFile, "utf8"));
    }
    const traced: string[] = JSON.parse(execFileSync(process.execPath, ["-e", TRACE_SCRIPT, ...entries], { cwd: root, encoding: "utf8" }));
    if (cacheFile) {
        fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
        // Written whole under a temporary name, then renamed: a concurrent reader never sees half a file.
        fs.writeFileSync(`${cacheFile}.${process.pid}`, JSON.stringify(traced));
        fs.renameSync(`${cacheFile}.${process.pid}`, cacheFile);
    }
    return traced;
}

/** Every package.json between a file and the root of its package (nested ones set `"type"` for their folder). */
function manifestsAbove(root: string, file: string): string[] {
    const manifests: string[] = [];
    for (let dir = path.posix.dirname(file); dir.includes("node_modules/"); dir = path.posix.dirname(dir)) {
        const manifest = `${dir}/package.json`;
        if (fs.existsSync(path.join(root, manifest))) {
            manifests.push(manifest);
        }
        if (PACKAGE_ROOT.test(dir)) {
            break;
        }
    }
    return manifests;
}

const PACKAGE_ROOT = /node_modules\/(@[^/]+\/)?[^/@][^/]*$/;

/** Names of the project's production dependencies: all excluded from archives unless traced in. */
export function productionDependencies(): string[] {
    const manifest = JSON.parse(fs.readFileSync(path.join(process.cwd(), "package.json"), "utf8"));
    return Object.keys(manifest.dependencies ?? {});
}
