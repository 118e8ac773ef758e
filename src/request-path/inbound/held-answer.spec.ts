import { completeReply } from '../../wire/reply-answer.testing';
import { HeldAnswers, REPLY_TIMEOUT_MESSAGE } from './held-answer';

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

describe('HeldAnswers', () => {
  const answers = new HeldAnswers({ requestTimeoutStatusCode: 418, requestTimeoutBody: 'I am a teapot' });
  const reply = completeReply('m1', 'Bye\n"now"', { session_event: 'close', to_addr: '123', from_addr: '*120#' });

  it("text: Vumi's answers, byte for byte (the reply's content; the configured time-out status and body)", () => {
    expect(answers.of({ kind: 'reply', reply }, 'text')).toEqual({ status: 200, contentType: TEXT, body: 'Bye\n"now"' });
    expect(answers.of({ kind: 'reply', reply })).toEqual({ status: 200, contentType: TEXT, body: 'Bye\n"now"' });
    for (const kind of ['timeout', 'shutdown'] as const) {
      expect(answers.of({ kind }, 'text')).toEqual({ status: 418, contentType: TEXT, body: 'I am a teapot' });
    }
    expect(answers.of({ kind: 'gone' }, 'text')).toMatchObject({ status: 418, body: 'I am a teapot', callerGone: true });
  });

  it('json: the reply with its session_event; a time-out keeps its status, with {error, message} the configured body', () => {
    const answer = answers.of({ kind: 'reply', reply }, 'json');
    expect(answer).toMatchObject({ status: 200, contentType: JSON_TYPE });
    expect(JSON.parse(answer.body)).toMatchObject({ in_reply_to: 'm1', content: 'Bye\n"now"', session_event: 'close', to_addr: '123' });
    for (const kind of ['timeout', 'shutdown'] as const) {
      const timedOut = answers.of({ kind }, 'json');
      expect(timedOut).toMatchObject({ status: 418, contentType: JSON_TYPE });
      expect(JSON.parse(timedOut.body)).toStrictEqual({ error: 'reply_timeout', message: 'I am a teapot' });
    }
    expect(answers.of({ kind: 'gone' }, 'json')).toMatchObject({ status: 418, contentType: JSON_TYPE, callerGone: true });
  });

  it("json with REQUEST_TIMEOUT_BODY empty (the default): the message says what happened; text stays Vumi's empty body", () => {
    const plain = new HeldAnswers({ requestTimeoutStatusCode: 504, requestTimeoutBody: '' });
    expect(JSON.parse(plain.of({ kind: 'timeout' }, 'json').body)).toStrictEqual({
      error: 'reply_timeout',
      message: REPLY_TIMEOUT_MESSAGE,
    });
    expect(plain.of({ kind: 'timeout' }, 'text')).toEqual({ status: 504, contentType: TEXT, body: '' });
  });
});
