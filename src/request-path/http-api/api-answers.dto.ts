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
      'broker_unavailable, overloaded, shutting_down, paused, idempotency_store_unavailable (503); internal_error (500); ' +
      'invalid_idempotency_key (400); idempotency_key_in_flight (409); idempotency_key_reused (422); rate_limited (429).',
    example: 'broker_unavailable',
  })
  error: string;

  @ApiProperty({ description: 'What went wrong, for people.', example: 'The message broker did not accept the message; retry later' })
  message: string;
}
