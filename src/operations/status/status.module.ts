// Owns: the `response` component: response times classified, Vumi status messages published.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*, broker, reply-path/*, callers/*, request-path/*.
import { Module, OnModuleInit } from '@nestjs/common';
import { AmqpModule } from '../../broker/amqp.module';
import { PendingRequestsModule } from '../../reply-path/pending-requests/pending-requests.module';
import { PendingRequestsService } from '../../reply-path/pending-requests/pending-requests.service';
import { ResponseStatusService } from './response-status.service';

/** The `response` component's status, fed by every answered or timed-out held request. */
@Module({
  imports: [AmqpModule, PendingRequestsModule],
  providers: [ResponseStatusService],
  exports: [ResponseStatusService],
})
export class StatusModule implements OnModuleInit {
  constructor(
    private readonly pending: PendingRequestsService,
    private readonly status: ResponseStatusService,
  ) {}

  onModuleInit(): void {
    this.pending.onFinish(({ reason, seconds }) => {
      if (reason === 'reply') this.status.recordResponse(seconds);
      else if (reason === 'timeout') this.status.recordTimeout(seconds);
    });
  }
}
