import { expect } from "chai";
import { pathsOf } from "../support/asl-paths";
import { isDefinite, parseJsonPath } from "../support/jsonpath-ng-parser";
import { portabilityProblem } from "../support/localstack-jsonpath";
import { synthesizeStack } from "../support/program";

/** Each JSONPath of a definition whose answer's shape LocalStack 4.14 and AWS could disagree on, with the reason. */
function problemsOf(definition: unknown): string[] {
    return pathsOf(definition).flatMap(({ at, path, referencePath }) => {
        let problem: string | undefined;
        try {
            problem = referencePath && !isDefinite(parseJsonPath(path)) ? "AWS accepts only a reference path (definite) here" : portabilityProblem(path);
        } catch (error) {
            problem = (error as Error).message;
        }
        return problem ? [`${at} ${path}: ${problem}`] : [];
    });
}

describe("every state machine of the program reads JSONPaths the same way on AWS, LocalStack 4.14 and the sandbox", () => {
    for (const stack of ["local", "dev"]) {
        it(`stack ${stack}: no path shape LocalStack answers differently from AWS`, () => {
            const machines = synthesizeStack(stack).resources.filter(resource => resource.type === "aws:sfn/stateMachine:StateMachine");
            expect(machines.map(machine => machine.inputs.name.replace(/^.*?-(?=file-copy|order)/, ""))).to.include.members(["file-copy-workflow", "order-workflow"]);
            for (const machine of machines) {
                const definition = JSON.parse(machine.inputs.definition);
                expect(pathsOf(definition), machine.inputs.name).to.not.have.length(0);
                expect(problemsOf(definition), machine.inputs.name).to.deep.equal([]);
            }
        });
    }

    it("reports the shapes that made the file-copy workflow fail on LocalStack", () => {
        const earlier = {
            StartAt: "Copy",
            States: {
                Copy: {
                    Type: "Map", ItemsPath: "$.destinationBuckets", End: true,
                    ItemProcessor: { StartAt: "Done", States: { Done: { Type: "Succeed" } } },
                    ResultSelector: { "anyFailed.$": "States.ArrayContains($[*].status, 'FAILED')" },
                },
                Mixed: {
                    Type: "Pass", End: true,
                    Parameters: {
                        "failedBuckets.$": "$.copy.results[?(@.status == 'FAILED')].bucket",
                        "failures.$": "$.copy.results[?(@.status == 'FAILED')]",
                    },
                },
                Sort: { Type: "Choice", Choices: [{ Variable: "$.copy.results[0:1]", IsPresent: true, Next: "Mixed" }], Default: "Mixed" },
            },
        };
        expect(problemsOf(earlier)).to.deep.equal([
            "/States/Copy/ResultSelector/anyFailed.$ $[*].status: ends in a member access after an indefinite step: LocalStack answers one match with a bare value, AWS with a list",
            "/States/Mixed/Parameters/failedBuckets.$ $.copy.results[?(@.status == 'FAILED')].bucket: ends in a member access after an indefinite step: LocalStack answers one match with a bare value, AWS with a list",
            "/States/Mixed/Parameters/failures.$ $.copy.results[?(@.status == 'FAILED')]: LocalStack raises (States.Runtime) when it matches nothing, AWS answers []",
            "/States/Sort/Choices/0/Variable $.copy.results[0:1]: AWS accepts only a reference path (definite) here",
        ]);
    });
});
