export { CloudWatchService } from "./provider";
export { MetricStore } from "./metrics";
export type { MetricSink } from "./metrics";
