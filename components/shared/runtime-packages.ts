import { execFileSync } from "child_process";
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
    const traced: string[] = entries.length
        ? JSON.parse(execFileSync(process.execPath, ["-e", TRACE_SCRIPT, ...entries], { cwd: root, encoding: "utf8" }))
        : [];
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
