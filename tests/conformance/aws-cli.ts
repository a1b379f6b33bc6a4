import { execFile, execFileSync } from "child_process";
import { mkdtempSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";

/** An AWS CLI v2 at this path, or undefined. */
function cliV2(file: string | undefined): string | undefined {
    try {
        return file && execFileSync(file, ["--version"], { encoding: "utf8" }).startsWith("aws-cli/2.") ? file : undefined;
    } catch {
        return undefined;
    }
}

/**
 * The AWS CLI v2: `AWS_CLI_V2` when set, else Debian's (`apt-get install awscli`), else the one GitHub's Ubuntu
 * runners ship. On PATH `aws` may be another CLI (a pyenv shim for v1 here), so the suite names its candidates
 * and fails, rather than skips, without one.
 */
const CANDIDATES = [process.env.AWS_CLI_V2, "/usr/bin/aws", "/usr/local/bin/aws"].filter((file): file is string => Boolean(file));
export const AWS_CLI = CANDIDATES.map(cliV2).find(Boolean) ?? CANDIDATES[0];

export interface CliRun { code: number; stdout: string; stderr: string }

// A fresh HOME and /dev/null config files: no user profile, credentials or default output can leak in.
const HOME = mkdtempSync(path.join(tmpdir(), "aws-cli-home-"));
const ENVIRONMENT = {
    PATH: process.env.PATH ?? "/usr/bin:/bin", HOME, LANG: "C.UTF-8",
    AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_DEFAULT_REGION: "us-east-1",
    AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null", AWS_PAGER: "",
};

export function requireAwsCli(): void {
    if (!cliV2(AWS_CLI)) {
        throw new Error(`no AWS CLI v2 at ${CANDIDATES.join(", ")}: install Debian's with \`apt-get install -y awscli\` (.ci/run does) or set AWS_CLI_V2`);
    }
}

/** Temporary credentials as `aws sts assume-role` prints them, to sign with instead of the default `test` keys. */
export interface SessionKeys { AccessKeyId: string; SecretAccessKey: string; SessionToken: string }

/** Runs one CLI command against the endpoint; resolves with its exit code and output (never rejects on a non-zero exit). */
export function aws(endpoint: string, ...args: string[]): Promise<CliRun> {
    return awsAs(undefined, endpoint, ...args);
}

/** `aws` signed with the given session's keys (the environment variables the CLI reads), or the default ones. */
export function awsAs(keys: SessionKeys | undefined, endpoint: string, ...args: string[]): Promise<CliRun> {
    const env = keys ? { ...ENVIRONMENT, AWS_ACCESS_KEY_ID: keys.AccessKeyId, AWS_SECRET_ACCESS_KEY: keys.SecretAccessKey, AWS_SESSION_TOKEN: keys.SessionToken } : ENVIRONMENT;
    return new Promise((resolve, reject) => {
        execFile(AWS_CLI, [...args, "--endpoint-url", endpoint], { env, cwd: HOME, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
            if (error && typeof error.code !== "number") {
                reject(error);
                return;
            }
            resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
        });
    });
}

/** Runs a command that must succeed and parses its JSON output ({} when it prints nothing). */
export function awsJson(endpoint: string, ...args: string[]): Promise<any> {
    return awsJsonAs(undefined, endpoint, ...args);
}

/** `awsJson` signed with the given session's keys. */
export async function awsJsonAs(keys: SessionKeys | undefined, endpoint: string, ...args: string[]): Promise<any> {
    const run = await awsAs(keys, endpoint, ...args, "--output", "json");
    if (run.code !== 0) {
        throw new Error(`aws ${args.join(" ")} exited ${run.code}: ${run.stderr}`);
    }
    return run.stdout.trim() ? JSON.parse(run.stdout) : {};
}
