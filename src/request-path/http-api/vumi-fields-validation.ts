import { Inject, Injectable } from '@nestjs/common';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { SESSION_EVENTS, SessionEvent } from '../../wire/vumi-message';
import { Caller } from '../../callers/identity/caller';
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
export class VumiFieldsValidation {
  private readonly allowed: ReadonlySet<string>;
  private readonly defaults: ReadonlyArray<[string, string]>;
  private readonly strict: boolean;
  private readonly requiredAllowed: ReadonlyArray<(typeof REQUIRED_FIELDS)[number]>;

  constructor(@Inject(TRANSPORT_CONFIG) config: TransportConfig) {
    this.allowed = new Set(config.allowedFields);
    this.defaults = Object.entries(config.fieldDefaults);
    this.strict = config.validationMode === 'strict';
    this.requiredAllowed = REQUIRED_FIELDS.filter((field) => this.allowed.has(field));
  }

  /** A caller's own defaults (already overlaid on FIELD_DEFAULTS) replace the global ones. */
  validate(sent: RequestFields, callerDefaults?: Caller['fieldDefaults']): InboundFieldsDto {
    const values = new MessageFields();
    for (const [name, value] of callerDefaults ?? this.defaults) values.set(name, value);
    let unexpected: string[] | undefined;
    for (const [name, value] of sent) {
      if (this.allowed.has(name)) values.set(name, value);
      else if (this.strict) (unexpected ??= []).push(name);
    }
    let missing: string[] | undefined;
    for (const field of this.requiredAllowed) if (values[field] === undefined) (missing ??= []).push(field);
    const sessionEvent = values.session_event;
    const invalid = sessionEvent !== undefined && !SESSION_EVENTS.includes(sessionEvent as SessionEvent);
    if (unexpected || missing || invalid) {
      throw new FieldValidationError({
        ...(unexpected && { unexpected_parameter: unexpected }),
        ...(missing && { missing_parameter: missing }),
        ...(invalid && { invalid_parameter: ['session_event'] }),
      });
    }
    const dto = new InboundFieldsDto();
    // Config validation guarantees each required field is allowed or defaulted.
    dto.to_addr = values.to_addr ?? '';
    dto.from_addr = values.from_addr ?? '';
    dto.content = values.content ?? null;
    dto.group = values.group ?? null;
    dto.session_event = (sessionEvent as SessionEvent | undefined) ?? null;
    return dto;
  }
}

/**
 * The fields a message is made of, as they are defaulted and sent (the last value wins). Other
 * allowed names pass validation but go into no message, so they are not kept. A plain object of
 * five slots: a Map per request cost more than the rest of the validation.
 */
class MessageFields {
  to_addr?: string = undefined;
  from_addr?: string = undefined;
  content?: string = undefined;
  group?: string = undefined;
  session_event?: string = undefined;

  set(name: string, value: string): void {
    switch (name) {
      case 'to_addr':
      case 'from_addr':
      case 'content':
      case 'group':
      case 'session_event':
        this[name] = value;
    }
  }
}
