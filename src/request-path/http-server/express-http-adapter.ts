// Owns: the HTTP server: the Express adapter and the API route shortcut.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*, broker, reply-path/*, callers/*.
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { ExpressAdapter } from '@nestjs/platform-express';

type ExpressApp = { request: object; response: object };

/** Copies every property of `source` and its prototypes (up to, not including, `stop`) onto `target`. */
function copyChain(source: object, stop: object, target: object): void {
  const levels: object[] = [];
  for (let level = source; level && level !== stop; level = Object.getPrototypeOf(level) as object) levels.push(level);
  // Nearest level last, so that it wins, as it does in the prototype chain.
  for (const level of levels.reverse()) {
    for (const key of Reflect.ownKeys(level)) {
      if (key === 'constructor') continue;
      Object.defineProperty(target, key, Object.getOwnPropertyDescriptor(level, key)!);
    }
  }
}

/**
 * ExpressAdapter whose HTTP server creates requests and responses that are
 * born with Express's methods. Express otherwise swaps the prototype of every
 * request and response (Object.setPrototypeOf), which turns both objects into
 * slow dictionary-mode objects for all of Node's HTTP code that touches them
 * afterwards: on the API's hot path that cost more than Express's routing.
 */
export class ExpressHttpAdapter extends ExpressAdapter {
  private closeConnectionsOnClose = false;
  /** Every open socket of the server, for close: see there. */
  private readonly sockets = new Set<Socket>();

  override initHttpServer(options: { forceCloseConnections?: boolean; httpsOptions?: unknown }): void {
    if (options?.httpsOptions) return super.initHttpServer(options as never);
    const app = this.getInstance<ExpressApp>();
    class ExpressRequest extends IncomingMessage {}
    class ExpressResponse<R extends IncomingMessage = IncomingMessage> extends ServerResponse<R> {}
    copyChain(app.request, IncomingMessage.prototype, ExpressRequest.prototype);
    copyChain(app.response, ServerResponse.prototype, ExpressResponse.prototype);
    this.httpServer = createServer({ IncomingMessage: ExpressRequest, ServerResponse: ExpressResponse }, this.getInstance());
    this.closeConnectionsOnClose = options?.forceCloseConnections === true;
    if (this.closeConnectionsOnClose) {
      this.httpServer.on('connection', (socket: Socket) => {
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
      });
    }
  }

  /**
   * forceCloseConnections: the sockets still open once the drain has answered every request are
   * destroyed, every one of them. Node's server.closeAllConnections() destroys only those its HTTP
   * server still tracks; CI once saw a stop wait past 30 s after the drain in the stalled-bodies
   * suite, held by a socket it had not destroyed. So every socket is tracked here (one Set entry
   * per connection), which covers those too.
   */
  override close(): Promise<unknown> | undefined {
    if (this.closeConnectionsOnClose) {
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
    }
    return super.close();
  }
}
