import { Inject, Injectable } from '@nestjs/common';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { ReplyFormat, TransportConfig } from '../../config/transport-config';

/** How closely a media range names a type: the wildcard range, `type/*`, `type/subtype`. */
const ANY = 0;
const TYPE = 1;
const EXACT = 2;

/** RFC 9110's qvalue: 0 to 1, at most three decimals. */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/** What one `Accept` says of a media type: the weight of its most specific matching range. */
interface Match {
  q: number;
  specificity: number;
}

/**
 * The representation a held request's answer takes by the caller's `Accept` (RFC 9110, 12.5.1):
 * each of `application/json` and `text/plain` gets the weight (q) of the most specific range that
 * matches it (`application/json` before `application/*` before the wildcard range); the higher
 * weight wins; on equal weights the one named more specifically wins (`application/json` beside
 * the wildcard is JSON). Otherwise, when the caller states no preference between the two (no
 * `Accept`, an empty one, the wildcard alone, both named alike as in axios' default
 * `application/json, text/plain, <wildcard>`, or neither acceptable): `fallback` (REPLY_FORMAT).
 * The service never answers 406 for a reply. Parameters other than q are ignored, and so is an
 * element whose q is malformed.
 */
export function preferredReplyFormat(accept: string | undefined, fallback: ReplyFormat): ReplyFormat {
  if (accept === undefined) return fallback;
  switch (accept) {
    // The common headers, without a parse.
    case 'application/json':
      return 'json';
    case 'text/plain':
      return 'text';
    case '*/*':
    case '':
      return fallback;
  }
  const json: Match = { q: 0, specificity: -1 };
  const text: Match = { q: 0, specificity: -1 };
  for (const element of accept.split(',')) {
    const [range, ...parameters] = element.split(';');
    const slash = range.indexOf('/');
    if (slash < 0) continue;
    const type = range.slice(0, slash).trim().toLowerCase();
    const subtype = range
      .slice(slash + 1)
      .trim()
      .toLowerCase();
    const q = weightOf(parameters);
    if (q === undefined) continue;
    if (type === '*' && subtype === '*') {
      consider(json, q, ANY);
      consider(text, q, ANY);
    } else if (type === 'application' && (subtype === 'json' || subtype === '*')) {
      consider(json, q, subtype === '*' ? TYPE : EXACT);
    } else if (type === 'text' && (subtype === 'plain' || subtype === '*')) {
      consider(text, q, subtype === '*' ? TYPE : EXACT);
    }
  }
  if (json.q !== text.q) return json.q > text.q ? 'json' : 'text';
  if (json.q === 0 || json.specificity === text.specificity) return fallback;
  return json.specificity > text.specificity ? 'json' : 'text';
}

/** The q of a range's parameters (1 when none is given); undefined when it is malformed. */
function weightOf(parameters: string[]): number | undefined {
  for (const parameter of parameters) {
    const equals = parameter.indexOf('=');
    if (equals < 0 || parameter.slice(0, equals).trim().toLowerCase() !== 'q') continue;
    const value = parameter.slice(equals + 1).trim();
    return QVALUE.test(value) ? Number(value) : undefined;
  }
  return 1;
}

/** A more specific range decides; among ranges alike, the highest weight. */
function consider(match: Match, q: number, specificity: number): void {
  if (specificity > match.specificity) {
    match.specificity = specificity;
    match.q = q;
  } else if (specificity === match.specificity && q > match.q) {
    match.q = q;
  }
}

/**
 * Negotiates the representation of held requests' answers under REPLY_FORMAT. Read only in reply
 * mode (InboundSender.replyFormat); a request without `Accept` costs nothing, and the last header
 * seen is remembered, since a caller sends the same one with every request.
 */
@Injectable()
export class ReplyFormatNegotiator {
  private readonly fallback: ReplyFormat;
  private lastAccept: string | undefined;
  private lastFormat: ReplyFormat;

  constructor(@Inject(TRANSPORT_CONFIG) config: Pick<TransportConfig, 'replyFormat'>) {
    this.fallback = config.replyFormat;
    this.lastFormat = this.fallback;
  }

  formatFor(accept: string | undefined): ReplyFormat {
    if (accept === undefined) return this.fallback;
    if (accept !== this.lastAccept) {
      this.lastFormat = preferredReplyFormat(accept, this.fallback);
      this.lastAccept = accept;
    }
    return this.lastFormat;
  }
}
