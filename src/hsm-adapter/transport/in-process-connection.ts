/**
 * An HSM in this process (the soft HSM's in-process entry): request payloads go to a function and
 * its response payloads come back, with no SLIP framing, so the same codec encodes and decodes
 * every call as over a socket. The one-in-flight queue and the timeout still apply.
 */
import { HAL_RPC_MAX_PKT_SIZE } from '../constants';
import { peekFunc } from '../codec';
import { HsmProtocolError } from '../errors';
import { rpcLabel, SerialConnection } from './connection';

/** Answers one request payload (func, client word, arguments) with one response payload. */
export type InProcessHandler = (request: Buffer) => Promise<Buffer>;

export interface InProcessSession {
  readonly call: InProcessHandler;
  /** Ends the session (a muxd connection closing sends LOGOUT for it, §1.3 step 5). */
  readonly close?: () => void;
}

let serial = 0;

export class InProcessConnection extends SerialConnection {
  constructor(
    private readonly session: InProcessSession,
    label = `in-process#${++serial}`,
  ) {
    super(label);
    if (typeof session.call !== 'function') throw new TypeError('"session.call" expected a function');
  }

  protected async exchange(func: number, request: Uint8Array): Promise<Buffer> {
    // A copy: the handler owns its argument, and ours is zeroed after the call.
    const response: unknown = await this.session.call(Buffer.from(request));
    if (!(response instanceof Uint8Array))
      throw new HsmProtocolError(`${this.label} answered ${rpcLabel(func)} with no response payload`);
    if (response.length > HAL_RPC_MAX_PKT_SIZE)
      throw new HsmProtocolError(
        `${this.label} answered ${rpcLabel(func)} with ${response.length} bytes, over the ${HAL_RPC_MAX_PKT_SIZE}-byte packet limit`,
      );
    const answered = peekFunc(response);
    if (answered !== func)
      throw new HsmProtocolError(
        `${this.label} answered ${rpcLabel(func)} with a ${response.length}-byte payload for ${
          answered === undefined ? 'no function' : rpcLabel(answered)
        }`,
      );
    return Buffer.from(response);
  }

  protected release(): void {
    this.session.close?.();
  }
}
