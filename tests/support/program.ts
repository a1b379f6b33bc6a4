import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Synthesis } from "../../sandbox/synth";

export const PROJECT_DIR = path.resolve(__dirname, "../..");
const cache = new Map<string, Synthesis>();

/** The whole program under mocks for one stack's config, synthesized once per test run in its own process. */
export function synthesizeStack(stack: string, overrides?: Record<string, unknown>): Synthesis {
    const key = `${stack}:${JSON.stringify(overrides ?? {})}`;
    const cached = cache.get(key);
    if (cached) {
        return cached;
    }
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "synth-")), `${stack}.json`);
    execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(PROJECT_DIR, "sandbox/synth-cli.ts"), stack, out, ...(overrides ? [JSON.stringify(overrides)] : [])],
        { cwd: PROJECT_DIR, stdio: ["ignore", "inherit", "inherit"] });
    const synthesis: Synthesis = JSON.parse(fs.readFileSync(out, "utf8"));
    cache.set(key, synthesis);
    return synthesis;
}
