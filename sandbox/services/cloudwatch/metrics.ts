/** A metric's identity: namespace, name and its dimensions (order does not matter, as in CloudWatch). */
export interface MetricId {
    namespace: string;
    metricName: string;
    dimensions: Record<string, string>;
}

/** Where the sandbox's services report their metrics (PutMetricData in process). */
export interface MetricSink {
    put(metric: MetricId, value: number, unit?: string, timestamp?: number): void;
}

/** Values aggregated over one period: a datapoint of GetMetricStatistics. */
export interface StatisticSet {
    SampleCount: number;
    Sum: number;
    Minimum: number;
    Maximum: number;
}

export type Statistic = "SampleCount" | "Sum" | "Minimum" | "Maximum" | "Average";

interface StoredPoint extends StatisticSet {
    timestamp: number;
    unit?: string;
}

interface Series extends MetricId {
    points: StoredPoint[];
}

/** Metrics older than this are dropped (CloudWatch keeps 1-minute data for 15 days: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html). */
const RETENTION_MS = 15 * 24 * 3600 * 1000;

function seriesKey(metric: MetricId): string {
    const dimensions = Object.keys(metric.dimensions).sort().map(name => `${name}=${metric.dimensions[name]}`);
    return JSON.stringify([metric.namespace, metric.metricName, ...dimensions]);
}

/** A statistic of an aggregate, as CloudWatch computes it. */
export function statisticOf(set: StatisticSet, statistic: Statistic): number {
    return statistic === "Average" ? set.Sum / set.SampleCount : set[statistic];
}

/** CloudWatch's metric store: raw datapoints per metric, aggregated on read over any period. */
export class MetricStore implements MetricSink {
    private readonly series = new Map<string, Series>();

    put(metric: MetricId, value: number, unit?: string, timestamp = Date.now()): void {
        this.putSet(metric, { SampleCount: 1, Sum: value, Minimum: value, Maximum: value }, unit, timestamp);
    }

    /** A pre-aggregated set (PutMetricData's StatisticValues, or Values with Counts). */
    putSet(metric: MetricId, set: StatisticSet, unit?: string, timestamp = Date.now()): void {
        const key = seriesKey(metric);
        let series = this.series.get(key);
        if (!series) {
            series = { ...metric, dimensions: { ...metric.dimensions }, points: [] };
            this.series.set(key, series);
        }
        series.points.push({ ...set, timestamp, unit });
        const expired = series.points.findIndex(point => point.timestamp >= Date.now() - RETENTION_MS);
        if (expired > 0) {
            series.points.splice(0, expired);
        }
    }

    /** Every metric with data, optionally only those of a namespace, name and holding the given dimensions. */
    list(filter: { namespace?: string; metricName?: string; dimensions?: { name: string; value?: string }[] } = {}): MetricId[] {
        return [...this.series.values()]
            .filter(series => (!filter.namespace || series.namespace === filter.namespace) && (!filter.metricName || series.metricName === filter.metricName))
            .filter(series => (filter.dimensions ?? []).every(wanted => wanted.name in series.dimensions && (wanted.value === undefined || series.dimensions[wanted.name] === wanted.value)))
            .map(({ namespace, metricName, dimensions }) => ({ namespace, metricName, dimensions }));
    }

    /** The aggregate of one metric's points in [from, to), optionally of one unit; undefined without any (a missing datapoint). */
    aggregate(metric: MetricId, from: number, to: number, unit?: string): (StatisticSet & { unit?: string }) | undefined {
        const points = (this.series.get(seriesKey(metric))?.points ?? []).filter(point => point.timestamp >= from && point.timestamp < to && (!unit || point.unit === unit));
        if (points.length === 0) {
            return undefined;
        }
        return {
            SampleCount: points.reduce((sum, point) => sum + point.SampleCount, 0),
            Sum: points.reduce((sum, point) => sum + point.Sum, 0),
            Minimum: Math.min(...points.map(point => point.Minimum)),
            Maximum: Math.max(...points.map(point => point.Maximum)),
            unit: points[0].unit,
        };
    }
}
