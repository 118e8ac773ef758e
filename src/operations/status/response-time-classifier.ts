import { ComponentStatus } from '../../wire/vumi-message';

export interface ResponseStatus {
  status: ComponentStatus;
  type: string;
  message: string;
  reasons: string[];
  details: { response_time: number };
}

export interface ResponseTimeThresholds {
  degradedSeconds: number;
  downSeconds: number;
  requestTimeoutSeconds: number;
}

/** A row for an answer slower than `limit` seconds. */
function tooSlow(status: 'degraded' | 'down', type: string, message: string, limit: number, seconds: number): ResponseStatus {
  return { status, type, message, reasons: [`Response took longer than ${limit}s`], details: { response_time: seconds } };
}

/** The `response` component's status, as Vumi's HTTP RPC transport reports it: `response_sent`, `slow_response` or `very_slow_response`. */
export function classifyResponse(seconds: number, t: ResponseTimeThresholds): ResponseStatus {
  if (seconds > t.downSeconds) return tooSlow('down', 'very_slow_response', 'Very slow response', t.downSeconds, seconds);
  if (seconds > t.degradedSeconds) return tooSlow('degraded', 'slow_response', 'Slow response', t.degradedSeconds, seconds);
  return { status: 'ok', type: 'response_sent', message: 'Response sent', reasons: [], details: { response_time: seconds } };
}

export function classifyTimeout(seconds: number, t: ResponseTimeThresholds): ResponseStatus {
  return tooSlow('down', 'timeout', 'Response timed out', t.requestTimeoutSeconds, seconds);
}
