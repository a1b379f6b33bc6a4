import "../../promise-with-resolvers";

// Step Functions (Jayway JsonPath) answers an indefinite path (filter, wildcard, deep scan, union, slice) with an
// array, [] when nothing matches; aws-local-stepfunctions asks jsonpath-plus for unwrapped results, which turns
// one match into a bare value and none into a States.Runtime failure. Wrapping those paths restores AWS's answers.
const INDEFINITE_PATH = /\.\.|\[\?|\*|\[[^\]]*[,:][^\]]*\]/;
const jsonPathPlus = require("jsonpath-plus");
if (!jsonPathPlus.JSONPath.awsIndefinitePaths) {
    const unwrapped = jsonPathPlus.JSONPath;
    jsonPathPlus.JSONPath = Object.assign(
        (options: { path: string; wrap?: boolean }, ...rest: unknown[]) => unwrapped({ ...options, wrap: INDEFINITE_PATH.test(options.path) || options.wrap }, ...rest),
        unwrapped, { awsIndefinitePaths: true });
}

export { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } from "aws-local-stepfunctions";
