import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { isAddressOrCidrList } from './address-list';
import { parseOtelKeyValues } from './otel-key-values';

/** class-validator decorator for TRUST_PROXY. */
export function IsAddressOrCidrList(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isAddressOrCidrList',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: 'must be a list of IPv4/IPv6 addresses or CIDRs (e.g. 10.0.0.0/8, fd00::/8)', ...options },
      validator: { validate: isAddressOrCidrList },
    });
}

/**
 * MANAGEMENT_PORT must not be WEB_PORT (0, any free port, excepted): the
 * second listen would fail with EADDRINUSE after the broker connection was
 * made, instead of one clear line at boot.
 */
export function DiffersFromWebPort(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'differsFromWebPort',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: 'must differ from WEB_PORT (unset it to serve metrics and docs on the API port)', ...options },
      validator: {
        validate(value: unknown, args: ValidationArguments): boolean {
          const webPort = (args.object as { webPort?: unknown }).webPort;
          return value === undefined || value === 0 || value !== webPort;
        },
      },
    });
}

/** class-validator decorator for OpenTelemetry's `key=value,...` lists (OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS). */
export function IsOtelKeyValues(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isOtelKeyValues',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: 'must be a list of key=value pairs separated by commas (values percent-encoded)', ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' && parseOtelKeyValues(value) !== undefined },
    });
}
