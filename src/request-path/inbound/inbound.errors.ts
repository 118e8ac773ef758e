/** The service is shutting down and takes no new requests (503 shutting_down). */
export class ServiceDrainingError extends Error {
  readonly code = 'shutting_down';

  constructor() {
    super('Service is shutting down');
    this.name = 'ServiceDrainingError';
  }
}
