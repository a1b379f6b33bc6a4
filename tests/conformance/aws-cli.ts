import { execFile } from "child_process";
import { existsSync, mkdtempSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";

/**
 * Debian's AWS CLI v2 (`apt-get install awscli`). On PATH `aws` may be another CLI (a pyenv shim for v1
 * here), so the suite names this one and fails, rather than skips, without it.
 */
export const AWS_CLI = "/usr/bin/aws";

export interface CliRun { code: number; stdout: string; stderr: string }

// A fresh HOME and /dev/null config files: no user profile, credentials or default output can leak in.
const HOME = mkdtempSync(path.join(tmpdir(), "aws-cli-home-"));
const ENVIRONMENT = {
    PATH: process.env.PATH ?? "/usr/bin:/bin", HOME, LANG: "C.UTF-8",
    AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_DEFAULT_REGION: "us-east-1",
    AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null", AWS_PAGER: "",
};

export function requireAwsCli(): void {
    if (!existsSync(AWS_CLI)) {
        throw new Error(`${AWS_CLI} is missing: install Debian's AWS CLI v2 with \`apt-get install -y awscli\` (.ci/run does)`);
    }
}

/** Runs one CLI command against the endpoint; resolves with its exit code and output (never rejects on a non-zero exit). */
export function aws(endpoint: string, ...args: string[]): Promise<CliRun> {
    return new Promise((resolve, reject) => {
        execFile(AWS_CLI, [...args, "--endpoint-url", endpoint], { env: ENVIRONMENT, cwd: HOME, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
            if (error && typeof error.code !== "number") {
                reject(error);
                return;
            }
            resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
        });
    });
}

/** Runs a command that must succeed and parses its JSON output ({} when it prints nothing). */
export async function awsJson(endpoint: string, ...args: string[]): Promise<any> {
    const run = await aws(endpoint, ...args, "--output", "json");
    if (run.code !== 0) {
        throw new Error(`aws ${args.join(" ")} exited ${run.code}: ${run.stderr}`);
    }
    return run.stdout.trim() ? JSON.parse(run.stdout) : {};
}
