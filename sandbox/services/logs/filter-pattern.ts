import { AwsError } from "../../cloud";

/** A compiled filter pattern: whether one log event's message matches it. */
export type LogFilter = (message: string) => boolean;

interface Term { text: string; kind: "required" | "optional" | "excluded" }

const TERM = /([?-]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))/g;

/**
 * Filter patterns for unstructured log events (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html):
 * terms and quoted phrases that must all appear (case-sensitive), `?term`s of which one must appear, `-term`s that must
 * not; an empty pattern matches everything. JSON (`{ }`), space-delimited (`[ ]`) and regex (`% %`) patterns are refused,
 * not approximated.
 */
export function compileFilterPattern(pattern: string | undefined): LogFilter {
    const text = (pattern ?? "").trim();
    if (/^[{[%]/.test(text)) {
        throw new AwsError("InvalidParameterException", `The sandbox matches term and phrase filter patterns only, not ${JSON.stringify(text)}.`);
    }
    const terms: Term[] = [...text.matchAll(TERM)].map(match => ({
        text: match[2] !== undefined ? match[2].replace(/\\(.)/g, "$1") : match[3],
        kind: match[1] === "?" ? "optional" : match[1] === "-" ? "excluded" : "required",
    }));
    const optional = terms.filter(term => term.kind === "optional");
    return message => terms.every(term => term.kind !== "required" || message.includes(term.text))
        && terms.every(term => term.kind !== "excluded" || !message.includes(term.text))
        && (optional.length === 0 || optional.some(term => message.includes(term.text)));
}
