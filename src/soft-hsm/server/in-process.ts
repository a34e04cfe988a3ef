/**
 * The in-process transport's entry into the soft HSM: a request payload (an unframed libhal RPC
 * request) in, the response payload out, through the same dispatcher the socket server uses.
 * With `handle`, bytes 4..7 of every request are overwritten as muxd does (§1.3), so the caller
 * behaves like one muxd connection; `disconnect()` then sends LOGOUT for it.
 */
import { RPC } from '../../hsm-adapter/codec';
import { HsmProtocolError } from '../../hsm-adapter/errors';
import type { SoftHsm } from '../soft-hsm';
import { RpcDispatcher } from './dispatcher';

export interface InProcessTransport {
  /** Sends one request payload; resolves with the response payload. Requests are answered in order. */
  (request: Uint8Array): Promise<Buffer>;
  /** Like a muxd client disconnecting: LOGOUT for `handle` (no-op without one). */
  disconnect(): Promise<void>;
}

export function inProcessTransport(
  hsm: SoftHsm,
  options: { handle?: number; log?: (line: string) => void } = {},
): InProcessTransport {
  const dispatcher = new RpcDispatcher(hsm, { log: options.log });
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
  const transport = (request: Uint8Array) =>
    serial(async () => {
      const frame = Buffer.from(request);
      if (options.handle !== undefined && frame.length >= 8) frame.writeUInt32BE(options.handle >>> 0, 4);
      const outcome = await dispatcher.dispatch(frame);
      frame.fill(0);
      if ('drop' in outcome) throw new HsmProtocolError(outcome.drop);
      return outcome.reply;
    });
  const disconnect = () =>
    serial(async () => {
      if (options.handle !== undefined)
        await dispatcher.dispatch(RPC.LOGOUT.encodeRequest({}, options.handle >>> 0));
    });
  return Object.assign(transport, { disconnect });
}
