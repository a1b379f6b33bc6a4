/** Nearest-rank percentile (p in (0, 100]) of `samples`; NaN when there are none. */
export function percentile(samples: number[], p: number): number {
    if (samples.length === 0) {
        return Number.NaN;
    }
    const sorted = [...samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];
}

/** `n=1000 p50=812 ms p99=7,410 ms max=11,002 ms` for a set of latencies in milliseconds. */
export function latencySummary(samplesMs: number[]): string {
    const ms = (value: number) => `${Math.round(value).toLocaleString("en-US")} ms`;
    return `n=${samplesMs.length} p50=${ms(percentile(samplesMs, 50))} p99=${ms(percentile(samplesMs, 99))} max=${ms(Math.max(...samplesMs))}`;
}

/** `count` per second over `elapsedMs`, to one decimal. */
export function perSecond(count: number, elapsedMs: number): string {
    return `${(count / (elapsedMs / 1000)).toLocaleString("en-US", { maximumFractionDigits: 1 })}/s`;
}
