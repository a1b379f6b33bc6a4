import { validateWorkflow } from "@action-validator/core";
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { PROJECT_DIR, synthesizeStack } from "../support/program";

const WORKFLOWS_DIR = path.join(PROJECT_DIR, ".github/workflows");
const SCRIPTS_DIR = path.join(PROJECT_DIR, "scripts");

function readYaml(relativePath: string): any {
    return YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, relativePath), "utf8"));
}

function workflowFiles(): string[] {
    return fs.readdirSync(WORKFLOWS_DIR).filter(file => /\.ya?ml$/.test(file));
}

function stepsOf(workflow: any): any[] {
    return Object.values<any>(workflow.jobs).flatMap(job => job.steps ?? []);
}

function jobOf(workflow: any, job: string): any {
    expect(workflow.jobs, `job ${job}`).to.have.property(job);
    return workflow.jobs[job];
}

function stepUsing(steps: any[], action: string): any {
    const matching = steps.filter(step => typeof step.uses === "string" && step.uses.startsWith(`${action}@`));
    expect(matching, `a step using ${action}`).to.have.length(1);
    return matching[0];
}

const needsOf = (job: any): string[] => [job.needs ?? []].flat();
const SMOKE_COMMAND = /^npm run smoke -- --outputs (\S+)$/;

describe("delivery: GitHub workflows", () => {
    const pr = readYaml(".github/workflows/pr.yml");
    const deploy = readYaml(".github/workflows/deploy.yml");
    const devRegion = readYaml("Pulumi.dev.yaml").config["aws:region"];

    it("has two workflows: pr.yml, and deploy.yml holding the LocalStack gate and the dev deploy", () => {
        expect(workflowFiles().sort()).to.deep.equal(["deploy.yml", "pr.yml"]);
    });

    for (const file of ["pr.yml", "deploy.yml"]) {
        it(`${file} is valid against the GitHub workflow schema (action-validator)`, () => {
            expect(validateWorkflow(fs.readFileSync(path.join(WORKFLOWS_DIR, file), "utf8")).errors).to.deep.equal([]);
        });
    }

    it("the schema validator rejects a malformed workflow, so the checks above can fail", () => {
        const broken = "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    stepz:\n      - run: npm test\n";
        expect(validateWorkflow(broken).errors).to.have.length.greaterThan(0);
    });

    it("every action is pinned to a version; every shell step is npm ci, the smoke CLI or a shellcheck-ed script under scripts/", () => {
        for (const file of workflowFiles()) {
            for (const step of stepsOf(readYaml(`.github/workflows/${file}`))) {
                if (step.uses) {
                    expect(step.uses, `${file}: ${step.uses}`).to.match(/^[\w.-]+\/[\w.-]+@v\d+(\.\d+){0,2}$/);
                }
                if (step.run) {
                    const script = /^bash (scripts\/[\w-]+\.sh)( [\w-]+)?$/.exec(step.run.trim());
                    expect(step.run.trim() === "npm ci" || SMOKE_COMMAND.test(step.run.trim()) || script !== null, `${file}: "${step.run}"`).to.equal(true);
                    if (script) {
                        expect(fs.existsSync(path.join(PROJECT_DIR, script[1])), `${file}: ${script[1]} exists`).to.equal(true);
                    }
                }
            }
        }
    });

    it("every job that runs a command sets up Node 22 first (20 is end-of-life)", () => {
        for (const workflow of [pr, deploy]) {
            for (const [name, job] of Object.entries<any>(workflow.jobs)) {
                const steps: any[] = job.steps;
                const setup = steps.findIndex(step => step.uses?.startsWith("actions/setup-node@"));
                expect(setup, `${name} sets up Node`).to.be.greaterThan(-1);
                expect(String(steps[setup].with["node-version"]), name).to.equal("22");
                expect(steps.findIndex(step => step.run || step.uses?.startsWith("pulumi/actions@")), name).to.be.greaterThan(setup);
            }
        }
    });

    it("every pulumi/actions step installs the CLI release of the pinned @pulumi/pulumi SDK", () => {
        const sdk = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")).dependencies["@pulumi/pulumi"];
        const pulumiSteps = [pr, deploy].flatMap(stepsOf).filter(step => step.uses?.startsWith("pulumi/actions@"));
        expect(pulumiSteps).to.have.length(3);
        for (const step of pulumiSteps) {
            expect(String(step.with["pulumi-version"])).to.equal(sdk);
        }
    });

    it("pr.yml runs on pull requests: tests first, then pulumi preview of dev with the policy pack, commented on the PR", () => {
        expect(pr.on).to.have.property("pull_request");
        expect(fs.readFileSync(path.join(SCRIPTS_DIR, "ci-checks.sh"), "utf8")).to.match(/npm ci\nnpm test\n/);
        // The gate is `npm test` itself: it type-checks and lints before any suite runs.
        expect(JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")).scripts.test).to.match(/^tsc --noEmit && eslint \. && mocha/);
        const preview = jobOf(pr, "preview");
        expect(needsOf(preview)).to.deep.equal(["test"]);
        const step = stepUsing(preview.steps, "pulumi/actions");
        expect(step.with).to.include({ command: "preview", "stack-name": "dev", policyPacks: "policy", "comment-on-pr": true, refresh: false });
        expect(step.with["cloud-url"]).to.equal("${{ vars.PULUMI_BACKEND_URL }}");
        expect(preview.permissions).to.include({ "id-token": "write", "pull-requests": "write" });
        expect(pr.permissions).to.deep.equal({ contents: "read" });
    });

    it("pr.yml previews under the read-only preview role and skips pull requests from forks, which get no secrets", () => {
        const preview = jobOf(pr, "preview");
        expect(preview.if).to.equal("github.event.pull_request.head.repo.full_name == github.repository");
        expect(stepUsing(preview.steps, "aws-actions/configure-aws-credentials").with).to.deep.equal({
            "role-to-assume": "${{ vars.AWS_PREVIEW_ROLE_ARN }}", "aws-region": devRegion,
        });
        expect(fs.readFileSync(path.join(WORKFLOWS_DIR, "pr.yml"), "utf8")).to.not.include("AWS_DEPLOY_ROLE_ARN");
    });

    it("deploy.yml, on pushes to main or by hand: tests, then the LocalStack job, then the dev deploy, each needing the one before", () => {
        expect(deploy.on.push.branches).to.deep.equal(["main"]);
        expect(deploy.on).to.have.property("workflow_dispatch");
        expect(needsOf(jobOf(deploy, "localstack"))).to.deep.equal(["test"]);
        expect(needsOf(jobOf(deploy, "deploy"))).to.deep.equal(["localstack"]);
        expect(stepsOf({ jobs: { test: jobOf(deploy, "test") } }).map(step => step.run).filter(Boolean)).to.deep.equal(["bash scripts/ci-checks.sh"]);
    });

    it("the LocalStack job deploys the local stack, smoke-tests the outputs file the script writes (exit code counts) and always destroys", () => {
        const job = jobOf(deploy, "localstack");
        const runs: string[] = job.steps.map((step: any) => step.run?.trim());
        const up = runs.indexOf("bash scripts/pulumi-local.sh up");
        const smoke = runs.findIndex(run => SMOKE_COMMAND.test(run ?? ""));
        const down = runs.indexOf("bash scripts/pulumi-local.sh down");
        expect([up, smoke, down].every(index => index >= 0) && up < smoke && smoke < down, `${runs}`).to.equal(true);

        const script = fs.readFileSync(path.join(SCRIPTS_DIR, "pulumi-local.sh"), "utf8");
        expect(script).to.include('readonly STACK="local"').and.include('readonly STATE_DIR="${ROOT_DIR}/.pulumi-local"')
            .and.include('readonly OUTPUTS_FILE="${STATE_DIR}/outputs.json"');
        const upCase = /\n {8}up\)\n([\s\S]*?);;/.exec(script)![1];
        expect(upCase).to.include('pulumi up --stack "${STACK}"').and.include('pulumi stack output --stack "${STACK}" --json > "${OUTPUTS_FILE}"');
        expect(/\n {8}down\)\n([\s\S]*?);;/.exec(script)![1]).to.include('pulumi destroy --stack "${STACK}"');

        const smokeStep = job.steps[smoke];
        expect(SMOKE_COMMAND.exec(runs[smoke])![1]).to.equal(".pulumi-local/outputs.json");
        expect(smokeStep.env).to.deep.equal({
            AWS_ENDPOINT_URL: "http://localhost:4566", AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test",
        });
        expect(smokeStep).to.not.have.any.keys("if", "continue-on-error");
        expect(job.steps[down].if).to.equal("always()");
        // Nothing in this job can reach a real account: no OIDC token, no secrets, no variables.
        expect(job.permissions).to.equal(undefined);
        expect(JSON.stringify(job)).to.not.match(/secrets\.|vars\./);
    });

    it("the dev deploy runs only from main in the dev environment, under the deploy role, and creates the stack on its first run", () => {
        const job = jobOf(deploy, "deploy");
        expect(job.if).to.equal("github.ref == 'refs/heads/main'");
        expect(job.environment).to.equal("dev");
        expect(job.permissions).to.deep.equal({ contents: "read", "id-token": "write" });
        expect(deploy.permissions).to.deep.equal({ contents: "read" });
        expect(stepUsing(job.steps, "aws-actions/configure-aws-credentials").with).to.deep.equal({
            "role-to-assume": "${{ vars.AWS_DEPLOY_ROLE_ARN }}", "aws-region": devRegion,
        });
        const up = stepUsing(job.steps, "pulumi/actions");
        expect(up.with).to.include({ command: "up", "stack-name": "dev", upsert: true, policyPacks: "policy", "cloud-url": "${{ vars.PULUMI_BACKEND_URL }}" });
        expect(up.env).to.deep.equal({ PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}" });
    });
});

describe("delivery: shell scripts", () => {
    const shellcheck = spawnSync("shellcheck", ["--version"]);
    const scripts = fs.readdirSync(SCRIPTS_DIR).filter(file => file.endsWith(".sh"));

    for (const script of scripts) {
        it(`shellcheck accepts scripts/${script}`, function () {
            if (shellcheck.error) {
                // CI installs it first (apt-get install -y shellcheck); a developer machine may not have it.
                this.skip();
            }
            const result = spawnSync("shellcheck", ["--severity=style", path.join(SCRIPTS_DIR, script)], { encoding: "utf8" });
            expect(result.stdout + result.stderr).to.equal("");
            expect(result.status).to.equal(0);
        });
    }

    function runLocalScript(args: string[]) {
        // A PATH with only what the script needs before its tool check: no docker, no pulumi.
        const bin = fs.mkdtempSync(path.join(os.tmpdir(), "no-tools-"));
        fs.symlinkSync(spawnSync("bash", ["-c", "command -v dirname"], { encoding: "utf8" }).stdout.trim(), path.join(bin, "dirname"));
        return spawnSync("/bin/bash", [path.join(SCRIPTS_DIR, "pulumi-local.sh"), ...args], { encoding: "utf8", env: { PATH: bin } });
    }

    it("pulumi-local.sh without docker or pulumi says how to install both and exits 1", () => {
        const result = runLocalScript(["up"]);
        expect(result.status).to.equal(1);
        expect(result.stderr).to.include("Docker with the compose plugin is required");
        expect(result.stderr).to.include("the Pulumi CLI is required");
        expect(result.stderr).to.include("npm start");
    });

    it("pulumi-local.sh rejects an unknown command with its usage and exit 2", () => {
        const result = runLocalScript(["deploy"]);
        expect(result.status).to.equal(2);
        expect(result.stderr).to.match(/usage: .* preview\|up\|down\|smoke/);
    });

    it("npm scripts preview/up/smoke/down:local call pulumi-local.sh", () => {
        const { scripts: npmScripts } = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8"));
        for (const command of ["preview", "up", "smoke", "down"]) {
            expect(npmScripts[`${command}:local`]).to.equal(`bash scripts/pulumi-local.sh ${command}`);
        }
    });
});

describe("delivery: docker-compose.yml", () => {
    const compose = readYaml("docker-compose.yml");
    const localstack = compose.services.localstack;

    it("runs LocalStack only: no Floci service or profile (Floci 1.5.11 cannot deploy this program)", () => {
        expect(Object.keys(compose.services)).to.deep.equal(["localstack"]);
        expect(localstack.profiles).to.equal(undefined);
    });

    it("pins LocalStack 4.14.0 on 4566, passes LOCALSTACK_AUTH_TOKEN through and health-checks /_localstack/health", () => {
        expect(localstack.image).to.equal("localstack/localstack:4.14.0");
        expect(localstack.ports).to.deep.equal(["127.0.0.1:4566:4566"]);
        expect(localstack.environment.LOCALSTACK_AUTH_TOKEN).to.equal("${LOCALSTACK_AUTH_TOKEN:-}");
        expect(localstack.healthcheck.test.join(" ")).to.include("http://localhost:4566/_localstack/health");
    });

    it("makes LocalStack delete expired items (DYNAMODB_REMOVE_EXPIRED_ITEMS=1), as the local stack's events table relies on TTL", () => {
        const ttlTables = synthesizeStack("local").resources.filter(resource => resource.type === "aws:dynamodb/table:Table" && resource.inputs.ttl?.enabled);
        expect(ttlTables.map(table => table.inputs.name)).to.include("sp-local-events");
        expect(localstack.environment.DYNAMODB_REMOVE_EXPIRED_ITEMS).to.equal("1");
    });

    it("runs Lambda in sibling containers on the compose network", () => {
        expect(localstack.volumes).to.include("/var/run/docker.sock:/var/run/docker.sock");
        expect(localstack.environment.LAMBDA_DOCKER_NETWORK).to.equal(compose.networks["local-cloud"].name);
        expect(localstack.networks).to.include("local-cloud");
    });

    it("starts every service the local stack's provider endpoints point at", () => {
        const endpoints = Object.keys(readYaml("Pulumi.local.yaml").config["aws:endpoints"][0]);
        const services = localstack.environment.SERVICES.split(",");
        const localstackName: Record<string, string> = { sfn: "stepfunctions" };
        expect(services).to.include.members(endpoints.map(endpoint => localstackName[endpoint] ?? endpoint));
    });
});

describe("delivery: environments", () => {
    const stackConfig = (stack: string): Record<string, unknown> => readYaml(`Pulumi.${stack}.yaml`).config;

    it("dev, staging and prod are plain AWS with distinct name prefixes", () => {
        for (const stack of ["dev", "staging", "prod"]) {
            expect(stackConfig(stack)["serverless-pipelines:target"], stack).to.equal("aws");
        }
        expect(stackConfig("staging")["serverless-pipelines:namePrefix"]).to.equal("sp-staging");
        expect(stackConfig("prod")["serverless-pipelines:namePrefix"]).to.equal("sp-prod");
    });

    it("prod protects data and keeps logs longest; staging keeps them longer than dev", () => {
        const retention = (stack: string) => Number(stackConfig(stack)["serverless-pipelines:logRetentionDays"]);
        expect(stackConfig("prod")["serverless-pipelines:protectData"]).to.equal(true);
        expect(stackConfig("staging")["serverless-pipelines:protectData"]).to.equal(false);
        expect(retention("prod")).to.be.greaterThan(retention("staging"));
        expect(retention("staging")).to.be.greaterThan(retention("dev"));
    });

    it("every key the stack files set is declared in Pulumi.yaml or belongs to the aws provider", () => {
        const declared = Object.keys(readYaml("Pulumi.yaml").config);
        for (const stack of ["local", "dev", "staging", "prod"]) {
            for (const key of Object.keys(stackConfig(stack))) {
                expect(key.startsWith("aws:") || declared.includes(key), `${stack}: ${key}`).to.equal(true);
            }
        }
    });
});
