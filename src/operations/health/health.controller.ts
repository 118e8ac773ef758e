import { Controller, Get, HttpException, HttpStatus, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorFunction } from '@nestjs/terminus';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { BuildInfo, buildInfo } from '../../config/build-info';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { FastPaths } from '../../config/fast-paths';
import { TransportConfig } from '../../config/transport-config';
import { PendingRequestsService } from '../../reply-path/pending-requests/pending-requests.service';
import { HealthAnswerDto, LivenessAnswerDto } from './health-answers.dto';
import { BrokerHealthIndicator } from './broker.health';
import { LifecycleHealthIndicator } from './lifecycle.health';
import { ResponseTimeHealthIndicator } from './response-time.health';
import { RedisHealthIndicator } from './redis.health';
import { InboundQueueHealthIndicator } from './inbound-queue.health';

/**
 * Health, liveness and readiness. Paths come from the configuration
 * (HealthModule sets them). Never behind auth.
 *
 * Health and readiness give the same verdict (one for load balancers such as
 * HAProxy, one for Kubernetes), so the two never disagree about an instance:
 * it can take traffic while the broker is connected (not blocked) and it is
 * not draining. Response times are reported, and count only with
 * HEALTH_FAIL_ON_RESPONSE_DOWN. Redis' state (shared by every instance) is
 * in HEALTH_PATH's details only, and never fails it.
 */
@ApiTags('operations')
@Controller()
export class HealthController {
  private readonly build: BuildInfo;

  constructor(
    @Inject(TRANSPORT_CONFIG) config: TransportConfig,
    private readonly fastPaths: FastPaths,
    private readonly health: HealthCheckService,
    private readonly broker: BrokerHealthIndicator,
    private readonly responseTime: ResponseTimeHealthIndicator,
    private readonly pending: PendingRequestsService,
    private readonly lifecycle: LifecycleHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly inboundQueue: InboundQueueHealthIndicator,
  ) {
    this.build = buildInfo(config);
  }

  /** Vumi's `{"pending_requests": N}` beside the broker's, lifecycle's and response times' health. */
  @Get('health')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({
    summary: 'Health (HEALTH_PATH)',
    description:
      'Can this instance take traffic: broker connected and not blocked, not draining. Response times over ' +
      'RESPONSE_STATUS_WINDOW are in the body; they give 503 only with HEALTH_FAIL_ON_RESPONSE_DOWN.',
  })
  @ApiOkResponse({ type: HealthAnswerDto, description: 'The instance can take traffic.' })
  @ApiServiceUnavailableResponse({ type: HealthAnswerDto, description: 'Broker down or blocked, or draining (or responses down, opt-in).' })
  async check(): Promise<Record<string, unknown>> {
    return this.trafficCheck(this.redis.configured ? [() => this.redis.check()] : []);
  }

  /** The process is alive: no dependency checks, so a broker outage never restarts pods. */
  @Get('live')
  @ApiOperation({ summary: 'Liveness (LIVENESS_PATH)', description: 'The process answers; no dependency checks.' })
  @ApiOkResponse({ type: LivenessAnswerDto })
  live(): Record<string, unknown> {
    return { status: 'ok' };
  }

  /** Ready for traffic: the same verdict as the health path. */
  @Get('ready')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ summary: 'Readiness (READINESS_PATH)', description: 'The same verdict as HEALTH_PATH.' })
  @ApiOkResponse({ type: HealthAnswerDto, description: 'Ready for traffic.' })
  @ApiServiceUnavailableResponse({ type: HealthAnswerDto, description: 'Broker down or blocked, or draining (or responses down, opt-in).' })
  async ready(): Promise<Record<string, unknown>> {
    return this.trafficCheck();
  }

  /** `reported`: components shown in the details that never fail the verdict (Redis, on HEALTH_PATH only). */
  private trafficCheck(reported: HealthIndicatorFunction[] = []): Promise<Record<string, unknown>> {
    return this.withPendingRequests(() =>
      this.health.check([
        () => this.broker.check(),
        () => this.lifecycle.check(),
        () => this.responseTime.check(),
        () => this.inboundQueue.check(),
        ...reported,
      ]),
    );
  }

  private async withPendingRequests(run: () => Promise<HealthCheckResult>): Promise<Record<string, unknown>> {
    try {
      return { pending_requests: this.pending.size, ...this.identity(), ...(await run()) };
    } catch (error) {
      if (error instanceof HttpException) {
        const body = error.getResponse();
        throw new HttpException(
          { pending_requests: this.pending.size, ...this.identity(), ...(typeof body === 'object' ? body : { error: body }) },
          HttpStatus.SERVICE_UNAVAILABLE,
        );
      }
      throw error;
    }
  }

  /** Which build answers and which fast paths it runs: in every health and readiness answer. */
  private identity(): { version: string; revision: string; fast_paths: string[] } {
    return { version: this.build.version, revision: this.build.revision, fast_paths: this.fastPaths.on };
  }
}
