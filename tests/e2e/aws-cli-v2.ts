import { execFile } from "child_process";

/** Debian's `awscli` package (CLI v2); `aws` on PATH may be another install (e.g. a pyenv shim for CLI v1). */
const AWS_CLI = process.env.AWS_CLI_V2 ?? "/usr/bin/aws";

function run(args: string[], endpoint?: string): Promise<string> {
    const env = {
        PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp",
        AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_DEFAULT_REGION: "us-east-1", AWS_PAGER: "",
        // The user's own profiles and settings stay out of what the test reads.
        AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    };
    return new Promise((resolve, reject) => {
        execFile(AWS_CLI, [...args, ...(endpoint ? ["--endpoint-url", endpoint] : [])], { env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
            error ? reject(new Error(`aws ${args.join(" ")} failed (${error.code}): ${stderr || error.message}`)) : resolve(stdout));
    });
}

/** Fails, saying how to get it, unless the AWS CLI v2 is installed. */
export async function requireAwsCliV2(): Promise<void> {
    const version = await run(["--version"]).catch(() => "");
    if (!version.startsWith("aws-cli/2.")) {
        throw new Error(`the real-client tests need the AWS CLI v2 at ${AWS_CLI} (apt-get install awscli, or set AWS_CLI_V2); found: ${version.trim() || "nothing"}`);
    }
}

/** Runs `aws <args> --endpoint-url <endpoint>` and parses the JSON it prints (the CLI's default output). */
export async function awsCli(endpoint: string, ...args: string[]): Promise<any> {
    const stdout = await run(args, endpoint);
    return stdout.trim() ? JSON.parse(stdout) : undefined;
}
