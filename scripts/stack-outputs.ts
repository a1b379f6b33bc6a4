import { execFileSync } from "child_process";
import * as fs from "fs";

/**
 * Stack outputs as a plain object: from the JSON file named by `--outputs <file>` or `STACK_OUTPUTS_FILE`,
 * otherwise from `pulumi stack output --json --show-secrets` of the selected stack. Errors say which file or
 * command gave what.
 */
export function loadStackOutputs(argv: string[] = process.argv.slice(2)): Record<string, unknown> {
    const flag = argv.indexOf("--outputs");
    if (flag >= 0 && !argv[flag + 1]) {
        throw new Error("--outputs needs a file: the JSON that `pulumi stack output --json` prints");
    }
    const file = flag >= 0 ? argv[flag + 1] : process.env.STACK_OUTPUTS_FILE;
    const source = file ?? "`pulumi stack output --json --show-secrets`";
    let text: string;
    try {
        text = file
            ? fs.readFileSync(file, "utf8")
            : execFileSync("pulumi", ["stack", "output", "--json", "--show-secrets"], { encoding: "utf8" });
    } catch (error) {
        throw new Error(`cannot read stack outputs from ${source}: ${(error as Error).message}`);
    }
    let outputs: unknown;
    try {
        outputs = JSON.parse(text);
    } catch (error) {
        throw new Error(`stack outputs in ${source} are not JSON: ${(error as Error).message}`);
    }
    if (outputs === null || typeof outputs !== "object" || Array.isArray(outputs)) {
        throw new Error(`stack outputs in ${source} are not a JSON object as \`pulumi stack output --json\` prints them`);
    }
    return outputs as Record<string, unknown>;
}

/** One string output, or an error naming it and where the outputs came from. */
export function requireOutput(outputs: Record<string, unknown>, name: string): string {
    const value = outputs[name];
    if (typeof value !== "string" || value === "") {
        throw new Error(`stack output ${name} is missing; deploy the stack (or pass --outputs <file>) first`);
    }
    return value;
}
