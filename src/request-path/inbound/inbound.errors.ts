/** An operator paused intake (POST /admin/pause): no new requests until resume (503 paused). */
export class ServicePausedError extends Error {
  readonly code = 'paused';

  constructor() {
    super('Service is paused');
    this.name = 'ServicePausedError';
  }
}

/** The service is shutting down and takes no new requests (503 shutting_down). */
export class ServiceDrainingError extends Error {
  readonly code = 'shutting_down';

  constructor() {
    super('Service is shutting down');
    this.name = 'ServiceDrainingError';
  }
}
