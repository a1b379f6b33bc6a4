import { resourcesOfType } from "../../cloud";
import type { RecordedResource } from "../../mock-cloud";
import type { FunctionObserver } from "../../telemetry";
import type { LogsService } from "../logs";
import type { MetricSink } from "./metrics";

/**
 * What Lambda reports about each function: Invocations, Errors (0 or 1 per invocation) and Duration in AWS/Lambda
 * per FunctionName (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html), and its console
 * output in its log group, one stream per worker, as the Node.js runtime formats it, between START and END/REPORT,
 * with the runtime's `Invoke Error` or `Task timed out` line for a failed invocation.
 */
export function lambdaTelemetry(resources: RecordedResource[], metrics: MetricSink, logs: LogsService): FunctionObserver {
    const groups = new Map<string, string>(resourcesOfType(resources, "aws:lambda/function:Function")
        .map(fn => [fn.state.name, fn.inputs.loggingConfig?.logGroup ?? `/aws/lambda/${fn.state.name}`]));
    const groupOf = (functionName: string) => groups.get(functionName) ?? `/aws/lambda/${functionName}`;
    return {
        invoked(record) {
            const dimensions = { FunctionName: record.functionName };
            const endedAt = record.startedAt + record.durationMs;
            metrics.put({ namespace: "AWS/Lambda", metricName: "Invocations", dimensions }, 1, "Count", endedAt);
            metrics.put({ namespace: "AWS/Lambda", metricName: "Errors", dimensions }, record.error ? 1 : 0, "Count", endedAt);
            metrics.put({ namespace: "AWS/Lambda", metricName: "Duration", dimensions }, record.durationMs, "Milliseconds", endedAt);
            const group = groupOf(record.functionName);
            logs.write(group, record.logStream, record.startedAt, `START RequestId: ${record.requestId} Version: $LATEST\n`, true);
            if (record.error?.name === "Sandbox.Timedout") {
                logs.write(group, record.logStream, endedAt, `${new Date(endedAt).toISOString()} ${record.requestId} ${record.error.message}\n`);
            } else if (record.error) {
                const { name, message, stack } = record.error;
                const detail = JSON.stringify({ errorType: name, errorMessage: message, stack: stack?.split("\n") ?? [] });
                logs.write(group, record.logStream, endedAt, `${new Date(endedAt).toISOString()}\t${record.requestId}\tERROR\tInvoke Error \t${detail}\n`);
            }
            logs.write(group, record.logStream, endedAt, `END RequestId: ${record.requestId}\n`);
            logs.write(group, record.logStream, endedAt, `REPORT RequestId: ${record.requestId}\tDuration: ${record.durationMs.toFixed(2)} ms\tBilled Duration: ${Math.max(1, Math.ceil(record.durationMs))} ms\tMemory Size: ${record.memorySizeMb} MB\t\n`);
        },
        logged(line) {
            logs.write(groupOf(line.functionName), line.logStream, line.timestamp, `${new Date(line.timestamp).toISOString()}\t${line.requestId ?? "undefined"}\t${line.level}\t${line.text}\n`);
        },
    };
}
