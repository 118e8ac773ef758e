import { ApiRefusal } from '../../common/api-refusal';

/** An operator paused intake (POST /admin/pause): no new requests until resume (503 paused). */
export class ServicePausedError extends ApiRefusal {
  readonly status = 503;
  readonly code = 'paused';
  override readonly answerMessage = 'The service is paused by its operator; retry later';

  constructor() {
    super('Service is paused');
    this.name = 'ServicePausedError';
  }
}

/** The service is shutting down and takes no new requests (503 shutting_down). */
export class ServiceDrainingError extends ApiRefusal {
  readonly status = 503;
  readonly code = 'shutting_down';
  override readonly answerMessage = 'The service is shutting down; retry on another instance';

  constructor() {
    super('Service is shutting down');
    this.name = 'ServiceDrainingError';
  }
}
