import { DestinationStream, LevelWithSilent, LoggerOptions, stdSerializers, stdTimeFunctions } from 'pino';
import { TransportConfig } from '../../config/transport-config';

/**
 * pino's options: JSON lines with an ISO time and the level's name, and the
 * transport and instance on every line (several instances and transports
 * share one log store).
 */
export function pinoOptions(config: TransportConfig, silent: boolean): LoggerOptions {
  const level: LevelWithSilent = silent ? 'silent' : config.logLevel;
  return {
    level,
    base: { transport_name: config.transportName, instance_id: config.instanceId },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: stdSerializers.err },
  };
}

/**
 * Where lines go: stdout as JSON lines; with LOG_PRETTY, through pino-pretty
 * (a dev dependency: a production image without it falls back to JSON); when
 * silent, nowhere, without opening stdout.
 */
export function logDestination(config: TransportConfig, silent: boolean): DestinationStream | undefined {
  if (silent) return { write: () => undefined };
  if (!config.logPretty) return undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- required lazily: a dev dependency, loaded only for LOG_PRETTY
    const pretty = require('pino-pretty') as (options: object) => DestinationStream;
    return pretty({
      sync: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,transport_name,instance_id,context',
      messageFormat: '{if context}[{context}] {end}{msg}',
      singleLine: true,
    });
  } catch {
    process.stderr.write('LOG_PRETTY: pino-pretty is not installed; logging JSON lines\n');
    return undefined;
  }
}
