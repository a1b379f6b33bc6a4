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

function stepUsing(workflow: any, action: string): any {
    const steps = stepsOf(workflow).filter(step => typeof step.uses === "string" && step.uses.startsWith(`${action}@`));
    expect(steps, `a step using ${action}`).to.have.length.greaterThan(0);
    return steps[0];
}

describe("delivery: GitHub workflows", () => {
    it("has the pr, integration and deploy workflows", () => {
        expect(workflowFiles()).to.include.members(["pr.yml", "integration.yml", "deploy.yml"]);
    });

    for (const file of ["pr.yml", "integration.yml", "deploy.yml"]) {
        it(`${file} is valid against the GitHub workflow schema (action-validator)`, () => {
            expect(validateWorkflow(fs.readFileSync(path.join(WORKFLOWS_DIR, file), "utf8")).errors).to.deep.equal([]);
        });
    }

    it("the schema validator rejects a malformed workflow, so the checks above can fail", () => {
        const broken = "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    stepz:\n      - run: npm test\n";
        expect(validateWorkflow(broken).errors).to.have.length.greaterThan(0);
    });

    it("every action is pinned to a version and every shell step is npm ci or a shellcheck-ed script under scripts/", () => {
        for (const file of workflowFiles()) {
            for (const step of stepsOf(readYaml(`.github/workflows/${file}`))) {
                if (step.uses) {
                    expect(step.uses, `${file}: ${step.uses}`).to.match(/^[\w.-]+\/[\w.-]+@v\d+(\.\d+){0,2}$/);
                }
                if (step.run) {
                    const script = /^bash (scripts\/[\w-]+\.sh)( [\w-]+)?$/.exec(step.run.trim());
                    expect(step.run.trim() === "npm ci" || script !== null, `${file}: "${step.run}"`).to.equal(true);
                    if (script) {
                        expect(fs.existsSync(path.join(PROJECT_DIR, script[1])), `${file}: ${script[1]} exists`).to.equal(true);
                    }
                }
            }
        }
    });

    it("pr.yml runs on pull requests: tests first, then pulumi preview of dev with the policy pack, commented on the PR", () => {
        const workflow = readYaml(".github/workflows/pr.yml");
        expect(workflow.on).to.have.property("pull_request");
        expect(fs.readFileSync(path.join(SCRIPTS_DIR, "ci-checks.sh"), "utf8")).to.match(/npm ci\nnpm test\n/);
        // The gate is `npm test` itself: it type-checks and lints before any suite runs.
        expect(JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")).scripts.test).to.match(/^tsc --noEmit && eslint \. && mocha/);
        expect(workflow.jobs.preview.needs).to.equal("test");
        const preview = stepUsing(workflow, "pulumi/actions");
        expect(preview.with).to.include({ command: "preview", "stack-name": "dev", policyPacks: "policy", "comment-on-pr": true });
        expect(preview.with["cloud-url"]).to.equal("${{ secrets.PULUMI_BACKEND_URL }}");
        expect(stepUsing(workflow, "aws-actions/configure-aws-credentials").with["role-to-assume"]).to.equal("${{ secrets.AWS_ROLE_ARN }}");
        expect(workflow.permissions).to.include({ "id-token": "write", "pull-requests": "write" });
    });

    it("integration.yml on main runs up, smoke and (always) down of the local stack through pulumi-local.sh", () => {
        const workflow = readYaml(".github/workflows/integration.yml");
        expect(workflow.on.push.branches).to.deep.equal(["main"]);
        const runs = stepsOf(workflow).filter(step => step.run).map(step => step.run.trim());
        expect(runs.filter(run => run.startsWith("bash scripts/pulumi-local.sh"))).to.deep.equal([
            "bash scripts/pulumi-local.sh up", "bash scripts/pulumi-local.sh smoke", "bash scripts/pulumi-local.sh down",
        ]);
        expect(stepsOf(workflow).find(step => step.run?.trim() === "bash scripts/pulumi-local.sh down").if).to.equal("always()");
    });

    it("deploy.yml deploys dev behind the dev environment's approval, on merge or by hand", () => {
        const workflow = readYaml(".github/workflows/deploy.yml");
        expect(workflow.on).to.have.all.keys("push", "workflow_dispatch");
        expect(workflow.jobs.deploy.environment).to.equal("dev");
        expect(stepUsing(workflow, "pulumi/actions").with).to.include({ command: "up", "stack-name": "dev", policyPacks: "policy" });
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
