import fc from 'fast-check';
import { replyAnswerJson, replyAnswerOf } from './reply-answer';
import { completeReply } from './reply-answer.testing';
import { buildInboundMessage } from './vumi-builders';
import { decodeOutboundMessage } from './vumi-decoder';
import { encodeMessage } from './vumi-serializer';
import { isWellFormedText } from './well-formed-text';

describe('replyAnswerJson (a held answer as JSON)', () => {
  it("holds the reply's message_id, addresses, content, session_event, in_reply_to and helper_metadata, Vumi's names, nothing else", () => {
    const inbound = buildInboundMessage(
      { to_addr: '*120*7#', from_addr: '+27831234567', content: '1', group: null, session_event: 'resume' },
      { transportName: 'http_api', instanceId: 'i-1', helperMetadata: { http_api: { caller: 'gw' } } },
    );
    // What Vumi's msg.reply(content, continue_session=False) sends.
    const reply = {
      ...inbound,
      message_id: 'b'.repeat(32),
      to_addr: inbound.from_addr,
      from_addr: inbound.to_addr,
      in_reply_to: inbound.message_id,
      content: 'Bye',
      session_event: 'close',
    };
    const decoded = decodeOutboundMessage(encodeMessage(reply), 1 << 20);
    expect(JSON.parse(replyAnswerJson(decoded as Parameters<typeof replyAnswerJson>[0]))).toStrictEqual({
      message_id: 'b'.repeat(32),
      to_addr: '+27831234567',
      from_addr: '*120*7#',
      content: 'Bye',
      session_event: 'close',
      in_reply_to: inbound.message_id,
      helper_metadata: { http_api: { caller: 'gw' } },
    });
    expect(replyAnswerJson(decoded as Parameters<typeof replyAnswerJson>[0])).toBe(
      `{"message_id":"${'b'.repeat(32)}","to_addr":"+27831234567","from_addr":"*120*7#","content":"Bye",` +
        `"session_event":"close","in_reply_to":"${inbound.message_id}","helper_metadata":{"http_api":{"caller":"gw"}}}`,
    );
  });

  it('gives each field its documented type: absent or wrong-typed addresses and session_event are null, helper_metadata {}', () => {
    expect(replyAnswerOf(completeReply('m', 'ok'))).toStrictEqual({
      message_id: 'f'.repeat(32),
      to_addr: null,
      from_addr: null,
      content: 'ok',
      session_event: null,
      in_reply_to: 'm',
      helper_metadata: {},
    });
    const odd = replyAnswerOf(completeReply('m', 'ok', { to_addr: 5, from_addr: ['x'], session_event: 'end', helper_metadata: [1] }));
    expect(odd).toMatchObject({ to_addr: null, from_addr: null, session_event: null, helper_metadata: {} });
    for (const event of ['new', 'resume', 'close']) {
      expect(replyAnswerOf(completeReply('m', 'ok', { session_event: event })).session_event).toBe(event);
    }
  });

  const anyText = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.constantFrom('', '"', '\\', '\n', '\r\n', '\u0000', '\u001f', '\u007f', '\u2028', '\u2029', '\ud83d\ude00', 'é', '</script>'),
  );
  // Content and in_reply_to as the decoder lets them through: well-formed Unicode.
  const wellFormed = anyText.filter((text) => text !== '' && isWellFormedText(text));
  // Addresses and helper_metadata are not checked by the decoder: a lone surrogate may be in them.
  const anyAddress = fc.oneof(anyText, fc.constantFrom('\ud800', '\udfff', 'a\udc00b'));

  it('is valid JSON in valid UTF-8 for any content, address and metadata, and reads back as the fields sent', () => {
    fc.assert(
      fc.property(
        wellFormed,
        wellFormed.filter((id) => id.length <= 255),
        anyAddress,
        anyAddress,
        fc.dictionary(anyAddress, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
        (content, inReplyTo, to, from, metadata) => {
          const reply = completeReply(inReplyTo, content, { to_addr: to, from_addr: from, helper_metadata: metadata });
          const json = replyAnswerJson(reply);
          expect(isWellFormedText(json)).toBe(true); // every lone surrogate escaped: UTF-8 round-trips
          expect(Buffer.from(json, 'utf8').toString('utf8')).toBe(json);
          const parsed = JSON.parse(json) as Record<string, unknown>;
          expect(parsed).toStrictEqual({
            message_id: 'f'.repeat(32),
            to_addr: to,
            from_addr: from,
            content,
            session_event: null,
            in_reply_to: inReplyTo,
            helper_metadata: JSON.parse(JSON.stringify(metadata)) as unknown,
          });
        },
      ),
    );
  });
});
