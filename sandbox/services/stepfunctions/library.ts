import * as fs from "fs";
import Module = require("module");
import * as path from "path";
import "../../promise-with-resolvers";
import { createIntrinsicEvaluator, LibraryIntrinsics } from "./intrinsics";

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

type Library = typeof import("aws-local-stepfunctions") & {
    intrinsics: LibraryIntrinsics;
    evaluateIntrinsic?: (expression: string, input: unknown, context: unknown) => unknown;
};

/**
 * aws-local-stepfunctions 3.0.0 strips every backslash from an intrinsic's string result (JsonToString of a value
 * holding a quote is no longer JSON) and leaves literal escapes unresolved. Its intrinsic evaluation is not exported,
 * so the module is loaded with that one function handed to the sandbox's evaluator (intrinsics.ts).
 */
function loadLibrary(): Library {
    const file = require.resolve("aws-local-stepfunctions");
    const cached = require.cache[file];
    if (cached?.exports.intrinsics) {
        return cached.exports as Library;
    }
    const evaluator = "function evaluateIntrinsicFunction(intrinsicFunction, input, context) {";
    const source = fs.readFileSync(file, "utf8");
    if (source.split(evaluator).length !== 2) {
        throw new Error(`The sandbox expects aws-local-stepfunctions 3.0.0 (${file} has no single evaluateIntrinsicFunction)`);
    }
    const patched = `${source.replace(evaluator, `${evaluator}\n  return module.exports.evaluateIntrinsic(intrinsicFunction, input, context);`)}
module.exports.intrinsics = { functions, validateArguments, jsonPathQuery, StatesRuntimeError };\n`;
    const loaded = new Module(file, module);
    loaded.filename = file;
    loaded.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
    (loaded as unknown as { _compile(code: string, filename: string): void })._compile(patched, file);
    loaded.loaded = true;
    require.cache[file] = loaded;
    const library = loaded.exports as Library;
    library.evaluateIntrinsic = createIntrinsicEvaluator(library.intrinsics);
    return library;
}

const library = loadLibrary();

export const { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } = library;
export type StateMachine = import("aws-local-stepfunctions").StateMachine;

/** A JSONPath (not `$$`) evaluated the way the library evaluates the definition's paths; undefined when it fails. */
export function queryPath(pathExpression: string, input: unknown): unknown {
    try {
        return library.intrinsics.jsonPathQuery(pathExpression, input, {});
    } catch {
        return undefined;
    }
}
