import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

export interface StackConfig {
    project: string;
    stack: string;
    /** Flat `namespace:key` → value as Pulumi hands it to a program (objects and lists as JSON). */
    values: Record<string, string>;
}

function asConfigString(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Reads the project's defaults from Pulumi.yaml and the stack's values from Pulumi.<stack>.yaml,
 * the way the Pulumi CLI merges them, so a program under mocks sees the config `pulumi up` would.
 */
export function loadStackConfig(projectDir: string, stack: string, overrides: Record<string, unknown> = {}): StackConfig {
    const project = YAML.parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8"));
    const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
    const stackValues = fs.existsSync(stackFile) ? YAML.parse(fs.readFileSync(stackFile, "utf8"))?.config ?? {} : {};
    const qualify = (key: string) => (key.includes(":") ? key : `${project.name}:${key}`);
    const values: Record<string, string> = {};
    for (const [key, declaration] of Object.entries<any>(project.config ?? {})) {
        if (declaration && typeof declaration === "object" && "default" in declaration) {
            values[qualify(key)] = asConfigString(declaration.default);
        } else if (declaration !== null && typeof declaration !== "object") {
            values[qualify(key)] = asConfigString(declaration);
        }
    }
    for (const [key, value] of Object.entries({ ...stackValues, ...overrides })) {
        values[qualify(key)] = asConfigString(value);
    }
    return { project: project.name, stack, values };
}
