import { Controller, Get, HttpException, HttpStatus } from '@nestjs/common';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { PendingRequestsService } from '../pending-requests/pending-requests.service';
import { HealthAnswerDto, LivenessAnswerDto } from './health-answers.dto';
import { LifecycleService } from '../lifecycle/lifecycle.service';
import { BrokerHealthIndicator } from './broker.health';
import { ResponseTimeHealthIndicator } from './response-time.health';

/**
 * Health, liveness and readiness. Paths come from the configuration
 * (HealthModule sets them). Never behind auth.
 */
@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly broker: BrokerHealthIndicator,
    private readonly responseTime: ResponseTimeHealthIndicator,
    private readonly pending: PendingRequestsService,
    private readonly lifecycle: LifecycleService,
  ) {}

  /** Vumi's `{"pending_requests": N}` beside the broker's and response times' health; 503 when down. */
  @Get('health')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ summary: 'Health (HEALTH_PATH)', description: 'Broker connection and response times; degraded is still 200.' })
  @ApiOkResponse({ type: HealthAnswerDto, description: 'Every indicator up.' })
  @ApiServiceUnavailableResponse({ type: HealthAnswerDto, description: 'The broker is down, or responses are down.' })
  async check(): Promise<Record<string, unknown>> {
    return this.withPendingRequests(() =>
      this.health.check([() => this.broker.check(), () => this.responseTime.check()]),
    );
  }

  /** The process is alive: no dependency checks, so a broker outage never restarts pods. */
  @Get('live')
  @ApiOperation({ summary: 'Liveness (LIVENESS_PATH)', description: 'The process answers; no dependency checks.' })
  @ApiOkResponse({ type: LivenessAnswerDto })
  live(): Record<string, unknown> {
    return { status: 'ok' };
  }

  /** Ready for traffic: broker connected and not draining for shutdown. */
  @Get('ready')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ summary: 'Readiness (READINESS_PATH)', description: 'Broker connected and not draining for shutdown.' })
  @ApiOkResponse({ type: HealthAnswerDto, description: 'Ready for traffic.' })
  @ApiServiceUnavailableResponse({ type: HealthAnswerDto, description: 'Broker down, or draining.' })
  async ready(): Promise<Record<string, unknown>> {
    return this.withPendingRequests(() =>
      this.health.check([
        () => this.broker.check(),
        () => {
          const session = this.indicatorFor('lifecycle');
          return this.lifecycle.isDraining ? session.down({ state: 'draining' }) : session.up({ state: 'serving' });
        },
      ]),
    );
  }

  private indicatorFor(key: string) {
    // Reuses Terminus's session shape without a class of its own for one boolean.
    return {
      up: (data: Record<string, unknown>) => ({ [key]: { status: 'up' as const, ...data } }),
      down: (data: Record<string, unknown>) => ({ [key]: { status: 'down' as const, ...data } }),
    };
  }

  private async withPendingRequests(run: () => Promise<HealthCheckResult>): Promise<Record<string, unknown>> {
    try {
      return { pending_requests: this.pending.size, ...(await run()) };
    } catch (error) {
      if (error instanceof HttpException) {
        const body = error.getResponse();
        throw new HttpException(
          { pending_requests: this.pending.size, ...(typeof body === 'object' ? body : { error: body }) },
          HttpStatus.SERVICE_UNAVAILABLE,
        );
      }
      throw error;
    }
  }
}
