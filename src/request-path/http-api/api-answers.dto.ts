import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * The JSON bodies the API path answers with. ApiResponder and the
 * controller write these shapes; the OpenAPI document is built from these
 * classes, and test/openapi.e2e-spec.ts checks real answers against it.
 */

/** 200 in fire-and-forget mode: the published message's id, sent once the broker confirmed it. */
export class MessageAcceptedDto {
  @ApiProperty({ description: 'Id of the inbound message published (32 hex digits).', example: '6a1c0b7e3f6f4e0bb1f6d6a4c1f0a9e2' })
  message_id: string;
}

/**
 * 200 in reply mode to a caller whose Accept prefers application/json (or REPLY_FORMAT=json): the
 * reply's fields under Vumi's names (src/wire/reply-answer.ts builds it; docs/api.md says why this set).
 */
export class ReplyAnswerDto {
  @ApiProperty({ description: "The reply's own message id.", example: 'b1f0c7e3f6f44e0bb1f6d6a4c1f0a9e2' })
  message_id: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: "Whom the reply is for (the request's from_addr, unless the application chose otherwise).",
    example: '+27831234567',
  })
  to_addr: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: "Whom it is from (the request's to_addr, unless the application chose otherwise).",
    example: '*120*7#',
  })
  from_addr: string | null;

  @ApiProperty({ description: "The reply's content: the text answer's whole body.", example: '1. Balance\n2. Quit' })
  content: string;

  @ApiProperty({
    type: String,
    enum: ['new', 'resume', 'close', null],
    nullable: true,
    description: "close: the application ended the session; resume or null (Vumi's reply() while the session goes on): it waits for more.",
    example: 'resume',
  })
  session_event: 'new' | 'resume' | 'close' | null;

  @ApiProperty({
    description: 'The id of the message this request published: what the reply answers.',
    example: '6a1c0b7e3f6f4e0bb1f6d6a4c1f0a9e2',
  })
  in_reply_to: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: "The reply's helper_metadata, as the application sent it.",
    example: {},
  })
  helper_metadata: Record<string, unknown>;
}

/** 400 from Vumi's validation: only the non-empty lists, at least one. */
export class FieldErrorsDto {
  @ApiPropertyOptional({ type: [String], description: 'Fields not in ALLOWED_FIELDS (VALIDATION_MODE=strict).', example: ['foo'] })
  unexpected_parameter?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Required fields absent (content, to_addr, from_addr).', example: ['to_addr'] })
  missing_parameter?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Fields with a value out of range (session_event).', example: ['session_event'] })
  invalid_parameter?: string[];
}

/** Every other error of the API path. */
export class ApiErrorDto {
  @ApiProperty({
    description:
      'What went wrong, for programs: invalid_utf8, invalid_json, too_many_parameters, malformed_request, headers_too_large (400/431); ' +
      'unsupported_media_type (415); payload_too_large (413); request_timeout (408); method_not_allowed (405); ' +
      'reply_timeout (REQUEST_TIMEOUT_STATUS_CODE: reply mode, no reply in time, to a caller preferring JSON); ' +
      'broker_unavailable, overloaded, shutting_down, paused, idempotency_store_unavailable (503); internal_error (500); ' +
      'invalid_idempotency_key (400); idempotency_key_in_flight (409); idempotency_key_reused (422); rate_limited (429).',
    example: 'broker_unavailable',
  })
  error: string;

  @ApiProperty({ description: 'What went wrong, for people.', example: 'The message broker did not accept the message; retry later' })
  message: string;
}
