import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

/** One indicator's state (Terminus): up or down, with details of its own. */
interface Indicator {
  status: 'up' | 'down';
  [detail: string]: unknown;
}

const INDICATOR_SCHEMA: SchemaObject = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['up', 'down'] } },
  required: ['status'],
  additionalProperties: true,
};

/**
 * The health and readiness answers (the same verdict): Vumi's
 * `pending_requests` beside Terminus's result. The indicators are `broker`
 * (state, reconnects, error when down), `lifecycle` (serving or draining) and
 * `response` (state ok/degraded/down over window_seconds, the latest type and
 * response_time, degraded_after, down_after, counts in the window,
 * fails_health); `response` is down only with HEALTH_FAIL_ON_RESPONSE_DOWN.
 */
export class HealthAnswerDto {
  @ApiProperty({ description: 'HTTP requests held for their reply (Vumi).', example: 0 })
  pending_requests: number;

  @ApiProperty({ description: "This build's version (package.json).", example: '0.2.0' })
  version: string;

  @ApiProperty({ description: 'The git revision of this build (GIT_REVISION), or unknown.', example: '5a960fc1d2e3' })
  revision: string;

  @ApiProperty({
    type: [String],
    description: "The fast paths into libraries' private internals that are on (FAST_PATHS; docs/performance.md).",
    example: ['http-route-shortcut', 'amqp-publish-frames', 'amqp-corked-writes', 'lean-metrics'],
  })
  fast_paths: string[];

  @ApiProperty({
    enum: ['ok', 'error', 'shutting_down'],
    description: 'error (with 503) when the instance cannot take traffic.',
    example: 'ok',
  })
  status: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: INDICATOR_SCHEMA,
    description: 'Indicators that are up.',
    example: { broker: { status: 'up', state: 'connected', reconnects: 0 } },
  })
  info?: Record<string, Indicator>;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: INDICATOR_SCHEMA,
    description: 'Indicators that are down.',
    example: {},
  })
  error?: Record<string, Indicator>;

  @ApiProperty({
    type: 'object',
    additionalProperties: INDICATOR_SCHEMA,
    description: 'Every indicator.',
    example: {
      broker: { status: 'up', state: 'connected', reconnects: 0 },
      lifecycle: { status: 'up', state: 'serving' },
      response: {
        status: 'up',
        state: 'ok',
        type: 'response_sent',
        response_time: 0.004,
        degraded_after: 1,
        down_after: 10,
        window_seconds: 60,
        counts: { ok: 12, degraded: 0, down: 0, timeout: 0 },
        fails_health: false,
      },
    },
  })
  details: Record<string, Indicator>;
}

export class LivenessAnswerDto {
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  status: 'ok';
}
