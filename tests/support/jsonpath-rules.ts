// Importing the sandbox's Step Functions service installs its AWS rule on jsonpath-plus, which aws-local-stepfunctions calls.
import "../../sandbox/services/stepfunctions/library";
import { extractJson, NoSuchJsonPathError } from "./localstack-jsonpath";

/** How aws-local-stepfunctions asks for a JSONPath: `JSONPath({ path, json, wrap: false })`, undefined for "no such path". */
export type JsonPathRule = (options: { path: string; json: unknown; wrap?: boolean }) => unknown;

const jsonPathPlus = require("jsonpath-plus");

/** AWS's rule, as the sandbox applies it: a list for any indefinite path, [] when nothing matches. */
export const awsRule: JsonPathRule = jsonPathPlus.JSONPath;

/**
 * LocalStack 4.14's rule; where it raises NoSuchJsonPathError the emulator reports States.Runtime (or IsPresent: false).
 * A Choice comparison on a missing Variable differs: LocalStack counts the rule as false (choice/comparison/variable.py),
 * AWS and the emulator fail the run; the AWS-rule run of the same case catches such a definition.
 */
export const localStackRule: JsonPathRule = ({ path, json }) => {
    try {
        return extractJson(path, json);
    } catch (error) {
        if (error instanceof NoSuchJsonPathError) {
            return undefined;
        }
        throw error;
    }
};

export const JSONPATH_RULES: { name: string; rule: JsonPathRule }[] = [
    { name: "AWS's JSONPath (the sandbox's rule)", rule: awsRule },
    { name: "LocalStack 4.14's JSONPath", rule: localStackRule },
];

/** Makes aws-local-stepfunctions evaluate every JSONPath with `rule`; the returned function puts the previous rule back. */
export function useJsonPathRule(rule: JsonPathRule): () => void {
    const previous = jsonPathPlus.JSONPath;
    jsonPathPlus.JSONPath = rule;
    return () => {
        jsonPathPlus.JSONPath = previous;
    };
}

/** Runs `body` with `rule` in place, restoring the previous rule however it ends. */
export async function withJsonPathRule<T>(rule: JsonPathRule, body: () => Promise<T>): Promise<T> {
    const restore = useJsonPathRule(rule);
    try {
        return await body();
    } finally {
        restore();
    }
}
