import * as fs from "fs";
import Module = require("module");
import * as path from "path";

import "../../sandbox/promise-with-resolvers";

type Library = typeof import("aws-local-stepfunctions");

/**
 * aws-local-stepfunctions 3.0.0 strips every backslash from an intrinsic's string result (BaseIntrinsicFunction.call),
 * so its States.JsonToString of a value holding a quote is not JSON; AWS's and LocalStack's always is. This is a
 * private copy of the module without that one statement; jsonpath-plus stays shared, so JSONPath rules still apply.
 */
function withoutBackslashStripping(): Library {
    const file = require.resolve("aws-local-stepfunctions");
    const strip = 'result = result.replaceAll("\\\\", "");';
    const source = fs.readFileSync(file, "utf8");
    if (source.split(strip).length !== 2) {
        throw new Error(`${file} is not aws-local-stepfunctions 3.0.0: expected one \`${strip}\``);
    }
    const copy = new Module(file, module);
    copy.filename = file;
    copy.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
    (copy as unknown as { _compile(code: string, filename: string): void })._compile(source.replace(strip, ""), file);
    return copy.exports as Library;
}

export const { StateMachine } = withoutBackslashStripping();
