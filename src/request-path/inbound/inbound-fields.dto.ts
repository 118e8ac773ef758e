import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SESSION_EVENTS, SessionEvent } from '../../wire/vumi-message';

const SENT_AS = 'Sent in the query string, or for POST/PUT in a form or JSON object body (a body value replaces the query value).';

/**
 * A request's fields after Vumi's validation: what becomes an inbound user
 * message. The OpenAPI document describes the API's fields from this class
 * (with the default ALLOWED_FIELDS and no FIELD_DEFAULTS).
 */
export class InboundFieldsDto {
  /** The address the message is for. */
  @ApiProperty({ description: `The address the message is for. ${SENT_AS}`, example: '555' })
  to_addr: string;

  /** The address the message is from. */
  @ApiProperty({ description: `The address the message is from. ${SENT_AS}`, example: '123' })
  from_addr: string;

  /** The message text. */
  @ApiProperty({ type: String, description: `The message text (UTF-8). ${SENT_AS}`, example: 'hello' })
  content: string | null;

  /** An optional group, e.g. a chat channel. */
  @ApiPropertyOptional({ type: String, description: `An optional group, e.g. a chat channel. ${SENT_AS}`, example: '#channel' })
  group: string | null;

  /** USSD-style session state: new, resume or close. */
  @ApiPropertyOptional({
    enum: SESSION_EVENTS,
    enumName: 'SessionEvent',
    description: `USSD-style session state; any other value is an invalid_parameter. ${SENT_AS}`,
    example: 'new',
  })
  session_event: SessionEvent | null;
}
