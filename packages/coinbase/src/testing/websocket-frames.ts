import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The `Sec-WebSocket-Accept` value for a client key (RFC 6455 §4.2.2). @internal */
export function websocketAccept(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** One server-to-client frame (unmasked). Opcodes: 1 text, 8 close, 9 ping, 10 pong. @internal */
export function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  let header: Buffer;
  if (length < 126) {
    header = Buffer.from([0x80 | opcode, length]);
  } else if (length < 65_536) {
    header = Buffer.alloc(4);
    header[0] = 0x80 | opcode;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([header, payload]);
}

/** A decoded client frame. @internal */
export interface ClientFrame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
}

/**
 * Reads client frames from a socket (masked, as RFC 6455 requires), calling `onFrame` for each.
 * Continuation frames are joined into their message.
 * @internal
 */
export function readFrames(socket: Duplex, onFrame: (frame: ClientFrame) => void): void {
  let buffered = Buffer.alloc(0);
  let fragments: Buffer[] = [];
  let fragmentOpcode = 0;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (buffered.length < 2) return;
      const first = buffered[0]!;
      const second = buffered[1]!;
      let length = second & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffered.length < 4) return;
        length = buffered.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffered.length < 10) return;
        length = Number(buffered.readBigUInt64BE(2));
        offset = 10;
      }
      const masked = (second & 0x80) !== 0;
      const maskOffset = offset;
      if (masked) offset += 4;
      if (buffered.length < offset + length) return;
      const payload = Buffer.from(buffered.subarray(offset, offset + length));
      if (masked) for (let index = 0; index < payload.length; index += 1) payload[index]! ^= buffered[maskOffset + (index % 4)]!;
      buffered = buffered.subarray(offset + length);
      const fin = (first & 0x80) !== 0;
      const opcode = first & 0x0f;
      if (opcode === 0) {
        fragments.push(payload);
        if (fin) onFrame({ fin: true, opcode: fragmentOpcode, payload: Buffer.concat(fragments) });
        if (fin) fragments = [];
      } else if (!fin && opcode < 8) {
        fragmentOpcode = opcode;
        fragments = [payload];
      } else {
        onFrame({ fin, opcode, payload });
      }
    }
  });
}
