import { loadConfig } from '../../config/config-loader';
import { FieldValidationError } from './http-api.errors';
import { InboundFieldsDto } from '../inbound/inbound-fields.dto';
import { VumiFieldsValidation } from './vumi-fields-validation';

function pipeFor(env: Record<string, string> = {}): VumiFieldsValidation {
  return new VumiFieldsValidation(loadConfig({ INSTANCE_ID: 'unit', ...env }));
}

function fields(...pairs: Array<[string, string]>): Map<string, string> {
  return new Map(pairs);
}

/** The error JSON a request gets, or the DTO when it is valid. */
function validate(
  pipe: VumiFieldsValidation,
  sent: Map<string, string>,
  callerDefaults?: ReadonlyArray<readonly [string, string]>,
): InboundFieldsDto | object {
  try {
    return pipe.validate(sent, callerDefaults);
  } catch (error) {
    expect(error).toBeInstanceOf(FieldValidationError);
    return (error as FieldValidationError).problems;
  }
}

const COMPLETE: Array<[string, string]> = [
  ['to_addr', '555'],
  ['from_addr', '123'],
  ['content', 'hello'],
];

describe('VumiFieldsValidation', () => {
  it("takes a caller's own field defaults in place of FIELD_DEFAULTS", () => {
    const pipe = pipeFor({ FIELD_DEFAULTS: '{"group":"global","from_addr":"1"}' });
    const dto = validate(pipe, fields(['to_addr', '555'], ['content', 'hi']), [
      ['from_addr', '2'],
      ['group', 'own'],
    ]);
    expect(dto).toEqual({ to_addr: '555', from_addr: '2', content: 'hi', group: 'own', session_event: null });
    expect(validate(pipe, fields(['to_addr', '555'], ['content', 'hi']))).toMatchObject({ from_addr: '1', group: 'global' });
  });

  it('turns a complete request into an InboundFieldsDto, absent optional fields null', () => {
    const dto = validate(pipeFor(), fields(...COMPLETE));
    expect(dto).toBeInstanceOf(InboundFieldsDto);
    expect(dto).toEqual({ to_addr: '555', from_addr: '123', content: 'hello', group: null, session_event: null });
  });

  it('strict: lists every unexpected field of a 1000-field request, in the order sent (as Vumi)', () => {
    const unknown = Array.from({ length: 997 }, (_, i): [string, string] => [`z${997 - i}`, 'x']);
    const problems = validate(pipeFor(), fields(unknown[0], ...COMPLETE, ...unknown.slice(1)));
    expect(problems).toEqual({ unexpected_parameter: unknown.map(([name]) => name) });
  });

  it('takes group and session_event when sent', () => {
    const dto = validate(pipeFor(), fields(...COMPLETE, ['group', '#chan'], ['session_event', 'new']));
    expect(dto).toMatchObject({ group: '#chan', session_event: 'new' });
  });

  it('keeps an empty content as an empty string, not as missing', () => {
    expect(validate(pipeFor(), fields(['to_addr', '5'], ['from_addr', '1'], ['content', '']))).toMatchObject({
      content: '',
    });
  });

  describe('strict mode (the default)', () => {
    it('records unexpected fields in the order sent', () => {
      const sent = fields(['zeta', '1'], ...COMPLETE, ['alpha', '2'], ['provider', 'x']);
      expect(validate(pipeFor(), sent)).toEqual({ unexpected_parameter: ['zeta', 'alpha', 'provider'] });
    });

    it('records fields that are not allowed even when they have a default', () => {
      const pipe = pipeFor({ ALLOWED_FIELDS: 'content,from_addr', FIELD_DEFAULTS: '{"to_addr":"555"}' });
      expect(validate(pipe, fields(...COMPLETE))).toEqual({ unexpected_parameter: ['to_addr'] });
    });
  });

  describe('permissive mode', () => {
    it('drops unexpected fields silently', () => {
      const pipe = pipeFor({ VALIDATION_MODE: 'permissive' });
      const dto = validate(pipe, fields(['foo', 'bar'], ...COMPLETE, ['provider', 'x']));
      expect(dto).toEqual({ to_addr: '555', from_addr: '123', content: 'hello', group: null, session_event: null });
    });

    it('still records missing and invalid fields', () => {
      const pipe = pipeFor({ VALIDATION_MODE: 'permissive' });
      expect(validate(pipe, fields(['foo', 'bar'], ['content', 'hi'], ['session_event', 'open']))).toEqual({
        missing_parameter: ['to_addr', 'from_addr'],
        invalid_parameter: ['session_event'],
      });
    });

    it('does not let a dropped field replace its default', () => {
      const pipe = pipeFor({
        VALIDATION_MODE: 'permissive',
        ALLOWED_FIELDS: 'content,from_addr',
        FIELD_DEFAULTS: '{"to_addr":"555"}',
      });
      expect(validate(pipe, fields(['to_addr', 'evil'], ['from_addr', '1'], ['content', 'x']))).toMatchObject({
        to_addr: '555',
      });
    });
  });

  describe('missing fields', () => {
    it('are recorded in the order content, to_addr, from_addr whatever was sent', () => {
      expect(validate(pipeFor(), fields())).toEqual({ missing_parameter: ['content', 'to_addr', 'from_addr'] });
      expect(validate(pipeFor(), fields(['from_addr', '1']))).toEqual({ missing_parameter: ['content', 'to_addr'] });
      expect(validate(pipeFor(), fields(['content', 'hi']))).toEqual({ missing_parameter: ['to_addr', 'from_addr'] });
    });

    it('are not recorded when they have a default', () => {
      const pipe = pipeFor({ FIELD_DEFAULTS: '{"to_addr":"555","content":""}' });
      expect(validate(pipe, fields(['from_addr', '1']))).toEqual({
        to_addr: '555',
        from_addr: '1',
        content: '',
        group: null,
        session_event: null,
      });
    });

    it('are not recorded when not allowed but defaulted (Vumi checks only allowed ones)', () => {
      const pipe = pipeFor({ ALLOWED_FIELDS: 'content,from_addr', FIELD_DEFAULTS: '{"to_addr":"555"}' });
      expect(validate(pipe, fields(['from_addr', '1'], ['content', 'x']))).toMatchObject({ to_addr: '555' });
    });
  });

  describe('defaults', () => {
    it('apply to fields not sent and yield to fields sent', () => {
      const pipe = pipeFor({ FIELD_DEFAULTS: '{"to_addr":"555","group":"g","session_event":"resume"}' });
      const dto = validate(pipe, fields(['from_addr', '1'], ['content', 'x'], ['group', 'mine']));
      expect(dto).toEqual({ to_addr: '555', from_addr: '1', content: 'x', group: 'mine', session_event: 'resume' });
    });

    it('refuse a bad session_event default at boot rather than failing each request', () => {
      expect(() => pipeFor({ FIELD_DEFAULTS: '{"session_event":"bogus"}' })).toThrow(/session_event must be new, resume or close/);
    });
  });

  describe('session_event', () => {
    it.each(['new', 'resume', 'close'])('accepts %s', (event) => {
      expect(validate(pipeFor(), fields(...COMPLETE, ['session_event', event]))).toMatchObject({
        session_event: event,
      });
    });

    it.each(['', 'NEW', 'open', 'close ', 'null'])('refuses %p', (event) => {
      expect(validate(pipeFor(), fields(...COMPLETE, ['session_event', event]))).toEqual({
        invalid_parameter: ['session_event'],
      });
    });

    it('is not checked when not allowed (it is unexpected instead)', () => {
      const pipe = pipeFor({ ALLOWED_FIELDS: 'content,to_addr,from_addr' });
      expect(validate(pipe, fields(...COMPLETE, ['session_event', 'bogus']))).toEqual({
        unexpected_parameter: ['session_event'],
      });
    });
  });

  it('reports every kind of problem at once, in Vumi order, with only non-empty lists', () => {
    const error = validate(pipeFor(), fields(['foo', '1'], ['session_event', 'x'], ['content', 'c'], ['bar', '2']));
    expect(error).toEqual({
      unexpected_parameter: ['foo', 'bar'],
      missing_parameter: ['to_addr', 'from_addr'],
      invalid_parameter: ['session_event'],
    });
    expect(Object.keys(error)).toEqual(['unexpected_parameter', 'missing_parameter', 'invalid_parameter']);
  });
});
