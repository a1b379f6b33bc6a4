/** One finished invocation, as Lambda reports it to CloudWatch (metrics) and to the function's log stream (START/END/REPORT). */
export interface InvocationRecord {
    functionName: string;
    requestId: string;
    /** The log stream of the worker ("container") that ran it. */
    logStream: string;
    startedAt: number;
    durationMs: number;
    /** What the handler threw or rejected with, or the timeout (Lambda's Errors metric); undefined on success. */
    error?: { name: string; message: string; stack?: string };
    memorySizeMb: number;
}

/** One line of a function's console output, as the Node.js runtime writes it to CloudWatch Logs. */
export interface ConsoleLine {
    functionName: string;
    logStream: string;
    timestamp: number;
    /** Undefined during init (module load), as in Lambda. */
    requestId?: string;
    level: "INFO" | "WARN" | "ERROR" | "DEBUG" | "TRACE";
    text: string;
}

/** What the function runtime tells the monitoring services; it knows nothing about them. */
export interface FunctionObserver {
    invoked(record: InvocationRecord): void;
    logged(line: ConsoleLine): void;
}
