import { TransportConfig } from '../../config/transport-config';

/**
 * Whether debug lines are written: hot-path code checks this once at
 * construction rather than building a line pino would drop.
 */
export function logsDebug(config: TransportConfig): boolean {
  return config.logLevel === 'debug' || config.logLevel === 'trace';
}
