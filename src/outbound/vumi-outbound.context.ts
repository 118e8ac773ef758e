import { BaseRpcContext } from '@nestjs/microservices';

/** Where an outbound message came from: the shared queue, or this instance's own. */
export class VumiOutboundContext extends BaseRpcContext<[queue: string, forwarded: boolean, body: Buffer]> {
  get queue(): string {
    return this.args[0];
  }

  /** True when another instance forwarded it here (it came off this instance's own queue). */
  get forwarded(): boolean {
    return this.args[1];
  }

  /** The message exactly as received, for forwarding unchanged. */
  get body(): Buffer {
    return this.args[2];
  }
}
