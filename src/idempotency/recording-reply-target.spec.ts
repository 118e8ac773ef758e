import { EventEmitter } from 'node:events';
import { RecordingReplyTarget } from './recording-reply-target';

/** The slice of a ServerResponse a held request writes to. */
class FakeResponse extends EventEmitter {
  writableEnded = false;
  headersSent = false;
  written: { status?: number; headers?: Record<string, string | number>; body?: Buffer | string } = {};
  writeHead(status: number, headers: Record<string, string | number>) {
    this.headersSent = true;
    this.written = { status, headers };
  }
  end(body?: Buffer | string) {
    this.writableEnded = true;
    this.written.body = body;
    this.emit('close');
  }
}

describe('RecordingReplyTarget', () => {
  it('passes the answer through and records it', async () => {
    const response = new FakeResponse();
    const target = new RecordingReplyTarget(response);
    target.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'Content-Length': 6 });
    target.end(Buffer.from('réply', 'utf8'));
    expect(response.written).toEqual({ status: 200, headers: expect.any(Object), body: Buffer.from('réply', 'utf8') });
    expect(target.writableEnded).toBe(true);
    expect(await target.answered).toEqual({ status: 200, contentType: 'text/plain; charset=utf-8', body: 'réply' });
  });

  it('resolves null when the caller goes away unanswered', async () => {
    const response = new FakeResponse();
    const target = new RecordingReplyTarget(response);
    response.emit('close');
    expect(await target.answered).toBeNull();
  });

  it('forwards close listeners, so that the holder sees a disconnect', () => {
    const response = new FakeResponse();
    const target = new RecordingReplyTarget(response);
    const listener = jest.fn();
    target.once('close', listener);
    target.removeListener('close', listener);
    target.once('close', listener);
    response.emit('close');
    expect(listener).toHaveBeenCalledTimes(1);
  });
});
