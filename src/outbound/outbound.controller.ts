import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { OutboundMessage } from '../vumi/vumi-codec';
import { VUMI_OUTBOUND_PATTERN } from './outbound.constants';
import { ReplyDispatcher } from './reply-dispatcher.service';
import { VumiOutboundContext } from './vumi-outbound.context';

/** Receives decoded outbound messages from VumiOutboundServer. */
@Controller()
export class OutboundController {
  constructor(private readonly dispatcher: ReplyDispatcher) {}

  @EventPattern(VUMI_OUTBOUND_PATTERN)
  async handle(@Payload() message: OutboundMessage, @Ctx() context: VumiOutboundContext): Promise<void> {
    await this.dispatcher.dispatch(message, context.body, context.forwarded);
  }
}
