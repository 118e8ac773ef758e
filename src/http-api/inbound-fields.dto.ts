import { SessionEvent } from '../vumi/vumi-message';

/** A request's fields after Vumi's validation: what becomes an inbound user message. */
export class InboundFieldsDto {
  /** The address the message is for. */
  to_addr: string;
  /** The address the message is from. */
  from_addr: string;
  /** The message text. */
  content: string | null;
  /** An optional group, e.g. a chat channel. */
  group: string | null;
  /** USSD-style session state: new, resume or close. */
  session_event: SessionEvent | null;
}
