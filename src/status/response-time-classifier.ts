import { ComponentStatus } from '../vumi/vumi-message';

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

/** The `response` component's status rows of wire-protocol.md. */
export function classifyResponse(seconds: number, t: ResponseTimeThresholds): ResponseStatus {
  const details = { response_time: seconds };
  if (seconds > t.downSeconds) {
    return {
      status: 'down',
      type: 'very_slow_response',
      message: 'Very slow response',
      reasons: [`Response took longer than ${t.downSeconds}s`],
      details,
    };
  }
  if (seconds > t.degradedSeconds) {
    return {
      status: 'degraded',
      type: 'slow_response',
      message: 'Slow response',
      reasons: [`Response took longer than ${t.degradedSeconds}s`],
      details,
    };
  }
  return { status: 'ok', type: 'response_sent', message: 'Response sent', reasons: [], details };
}

export function classifyTimeout(seconds: number, t: ResponseTimeThresholds): ResponseStatus {
  return {
    status: 'down',
    type: 'timeout',
    message: 'Response timed out',
    reasons: [`Response took longer than ${t.requestTimeoutSeconds}s`],
    details: { response_time: seconds },
  };
}
