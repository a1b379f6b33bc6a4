import { execFileSync } from "child_process";
import * as fs from "fs";

/**
 * Stack outputs as a plain object: from the JSON file named by `--outputs <file>` or `STACK_OUTPUTS_FILE`,
 * otherwise from `pulumi stack output --json --show-secrets` of the selected stack.
 */
export function loadStackOutputs(argv: string[] = process.argv.slice(2)): Record<string, unknown> {
    const flag = argv.indexOf("--outputs");
    const file = flag >= 0 ? argv[flag + 1] : process.env.STACK_OUTPUTS_FILE;
    const text = file
        ? fs.readFileSync(file, "utf8")
        : execFileSync("pulumi", ["stack", "output", "--json", "--show-secrets"], { encoding: "utf8" });
    return JSON.parse(text) as Record<string, unknown>;
}

/** One string output, or an error naming it and where the outputs came from. */
export function requireOutput(outputs: Record<string, unknown>, name: string): string {
    const value = outputs[name];
    if (typeof value !== "string" || value === "") {
        throw new Error(`stack output ${name} is missing; deploy the stack (or pass --outputs <file>) first`);
    }
    return value;
}
