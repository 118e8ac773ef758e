/** The prefix of every metric this service exports, Node's process metrics included. */
export const METRICS_PREFIX = 'vumi_http_api_';

/** Latency buckets (seconds) of the request histogram: from a fast publish to a reply held for minutes. */
export const REQUEST_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** Buckets (seconds) of the publish-confirm histogram, up to the longest PUBLISH_TIMEOUT worth telling apart. */
export const CONFIRM_DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
