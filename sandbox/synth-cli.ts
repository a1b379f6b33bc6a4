import * as fs from "fs";
import * as path from "path";
import { synthesize } from "./synth";

/** `synth-cli <stack> <out.json> [overrides-json]`: one stack, synthesized in this fresh process. */
async function main(): Promise<void> {
    const [stack, out, overrides] = process.argv.slice(2);
    if (!stack || !out) {
        throw new Error("usage: synth-cli <stack> <out.json> [overrides-json]");
    }
    const synthesis = await synthesize({
        projectDir: path.resolve(__dirname, ".."),
        stack,
        overrides: overrides ? JSON.parse(overrides) : undefined,
    });
    fs.writeFileSync(out, JSON.stringify(synthesis));
}

main().catch(error => {
    console.error(error);
    process.exit(1);
});
