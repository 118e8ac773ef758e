import { AmqpConnectionService } from './amqp-connection.service';

/**
 * Resolves the first time both broker connections are up (publishing not
 * blocked): at once if they already are. The service listens before this
 * (start in any order); main.ts logs it, and tests and tools wait for it
 * before sending traffic that needs the broker.
 */
export function whenBrokerConnected(connection: AmqpConnectionService): Promise<void> {
  if (connection.isConnected) return Promise.resolve();
  return new Promise((resolve) => {
    connection.onStateChange((state) => {
      if (state === 'connected') resolve(); // later calls of an already resolved promise do nothing
    });
  });
}
