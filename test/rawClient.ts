/**
 * A client below HTTP and WebSocket libraries, for fault tests: it writes exactly the bytes it is given (malformed
 * requests, broken frames) to a loopback port and reports what came back. Every call ends within its time limit.
 */
import crypto from 'node:crypto';
import net from 'node:net';

export interface RawAnswer {
  /** the HTTP status of the first response line, null when none came */
  status: number | null;
  /** everything received */
  data: Buffer;
  /** the server closed (or reset) the connection before the time limit */
  closed: boolean;
}

/**
 * Sends `chunks` (with `gapMs` between them) and collects the answer until the server closes, until `untilData`
 * says the answer is complete, or until `timeoutMs`.
 */
export function exchange(
  port: number,
  chunks: (string | Buffer)[],
  { timeoutMs = 3000, gapMs = 0, untilData }: { timeoutMs?: number; gapMs?: number; untilData?: (data: Buffer) => boolean } = {},
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const received: Buffer[] = [];
    let settled = false;
    const socket = net.connect(port, '127.0.0.1');
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const data = Buffer.concat(received);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(data.subarray(0, 20).toString('latin1'));
      resolve({ status: m ? Number(m[1]) : null, data, closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (d) => {
      received.push(d);
      if (untilData?.(Buffer.concat(received))) finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) return;
        socket.write(chunk);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
  });
}

/** A request with a complete header block; `Connection: close` so the answer ends with the connection. */
export function httpRequest(port: number, { method = 'GET', target = '/', headers = {} as Record<string, string>, body = '' }): string {
  const lines = [`${method} ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** The upgrade request of a well-formed WebSocket handshake to /ws with the token. */
export function upgradeRequest(port: number, token: string): string {
  return [
    `GET /ws?token=${token} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    `Origin: http://127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}`,
    'Sec-WebSocket-Version: 13',
    '',
    '',
  ].join('\r\n');
}

export interface FrameSpec {
  fin?: boolean;
  /** the three reserved bits, 0-7 */
  rsv?: number;
  opcode: number;
  payload?: Buffer;
  /** clients must mask; false sends the payload bare */
  mask?: boolean;
  /** a length to declare instead of the payload's (the payload is sent as it is) */
  declaredLength?: bigint;
}

/** One WebSocket frame as a client writes it (RFC 6455 section 5.2), correct or not as the spec says. */
export function frame({ fin = true, rsv = 0, opcode, payload = Buffer.alloc(0), mask = true, declaredLength }: FrameSpec): Buffer {
  const length = declaredLength ?? BigInt(payload.length);
  const head: number[] = [(fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f)];
  const maskBit = mask ? 0x80 : 0;
  if (length < 126n) head.push(maskBit | Number(length));
  else if (length < 65536n) head.push(maskBit | 126, Number(length >> 8n) & 0xff, Number(length) & 0xff);
  else {
    head.push(maskBit | 127);
    for (let i = 7; i >= 0; i--) head.push(Number((length >> BigInt(8 * i)) & 0xffn));
  }
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = crypto.randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!));
  return Buffer.concat([Buffer.from(head), key, masked]);
}

/** The status code of the first close frame the server sent after the 101 answer, or null. */
export function serverCloseCode(data: Buffer): number | null {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return null;
  let i = end + 4;
  while (i + 2 <= data.length) {
    const opcode = data[i]! & 0x0f;
    let len = data[i + 1]! & 0x7f;
    let at = i + 2;
    if (len === 126) {
      len = data.readUInt16BE(at);
      at += 2;
    } else if (len === 127) {
      len = Number(data.readBigUInt64BE(at));
      at += 8;
    }
    if (opcode === 0x8) return len >= 2 && at + 2 <= data.length ? data.readUInt16BE(at) : 1005;
    i = at + len;
  }
  return null;
}
