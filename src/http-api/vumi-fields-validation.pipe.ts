import { Inject, Injectable, PipeTransform } from '@nestjs/common';
import { TRANSPORT_CONFIG } from '../config/config.constants';
import { TransportConfig } from '../config/transport-config';
import { SESSION_EVENTS, SessionEvent } from '../vumi/vumi-message';
import { CallerDefaultsCarrier } from '../callers/caller';
import { FieldValidationError } from './http-api.errors';
import { InboundFieldsDto } from '../inbound/inbound-fields.dto';
import { RequestFields } from './request-fields';

const REQUIRED_FIELDS = ['content', 'to_addr', 'from_addr'] as const;

/**
 * Vumi's validation, in Vumi's order: defaults, then each sent field against
 * allowed_fields (strict records, permissive drops), then the required
 * fields, then session_event. The rules are compiled once from the config.
 */
@Injectable()
export class VumiFieldsValidationPipe implements PipeTransform<RequestFields, InboundFieldsDto> {
  private readonly allowed: ReadonlySet<string>;
  private readonly defaults: ReadonlyArray<[string, string]>;
  private readonly strict: boolean;
  private readonly requiredAllowed: readonly string[];

  constructor(@Inject(TRANSPORT_CONFIG) config: TransportConfig) {
    this.allowed = new Set(config.allowedFields);
    this.defaults = Object.entries(config.fieldDefaults);
    this.strict = config.validationMode === 'strict';
    this.requiredAllowed = REQUIRED_FIELDS.filter((field) => this.allowed.has(field));
  }

  /** A caller's own defaults (already overlaid on FIELD_DEFAULTS) replace the global ones. */
  transform(sent: RequestFields & CallerDefaultsCarrier): InboundFieldsDto {
    const values = new Map<string, string>(sent.callerDefaults ?? this.defaults);
    let unexpected: string[] | undefined;
    for (const [name, value] of sent) {
      if (this.allowed.has(name)) values.set(name, value);
      else if (this.strict) (unexpected ??= []).push(name);
    }
    const missing = this.requiredAllowed.filter((field) => !values.has(field));
    const sessionEvent = values.get('session_event');
    const invalid = sessionEvent !== undefined && !SESSION_EVENTS.includes(sessionEvent as SessionEvent);
    if (unexpected || missing.length > 0 || invalid) {
      throw new FieldValidationError({
        ...(unexpected && { unexpected_parameter: unexpected }),
        ...(missing.length > 0 && { missing_parameter: missing }),
        ...(invalid && { invalid_parameter: ['session_event'] }),
      });
    }
    const dto = new InboundFieldsDto();
    // Config validation guarantees each required field is allowed or defaulted.
    dto.to_addr = values.get('to_addr') ?? '';
    dto.from_addr = values.get('from_addr') ?? '';
    dto.content = values.get('content') ?? null;
    dto.group = values.get('group') ?? null;
    dto.session_event = (sessionEvent as SessionEvent | undefined) ?? null;
    return dto;
  }
}
