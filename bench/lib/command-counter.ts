import net from 'node:net';

/**
 * A TCP proxy between one API process and MySQL/MariaDB that counts the database round trips the
 * application makes: every client-to-server packet with sequence id 0 starts a command (COM_QUERY,
 * COM_STMT_PREPARE/EXECUTE, COM_PING ...), answered before the next one on that connection. The
 * handshake's packets carry other sequence ids and are not counted. It sees only the traffic of the
 * process pointed at it, so other clients of the server (tests, other benches) do not blur the count,
 * as the server's global `Questions` would.
 */
export class CommandCounter {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  commands = 0;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  /** Counts in the client-to-server stream of one connection (packets may span chunks). */
  private counter(): (chunk: Buffer) => void {
    let pending = Buffer.alloc(0);
    let skip = 0; // payload bytes of the current packet still to come
    return (chunk) => {
      let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      pending = Buffer.alloc(0);
      for (;;) {
        if (skip > 0) {
          const n = Math.min(skip, buf.length);
          skip -= n;
          buf = buf.subarray(n);
        }
        if (skip > 0 || buf.length === 0) return;
        if (buf.length < 4) {
          pending = Buffer.from(buf);
          return;
        }
        const length = buf.readUIntLE(0, 3);
        if (buf[3] === 0) this.commands++;
        skip = length;
        buf = buf.subarray(4);
      }
    };
  }

  async start(): Promise<this> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target);
      this.sockets.add(client).add(upstream);
      const count = this.counter();
      client.on('data', (chunk: Buffer) => {
        count(chunk);
        upstream.write(chunk);
      });
      upstream.pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** `url` (mysql://...) rewritten to go through the counter. */
  url(original: string): string {
    const u = new URL(original);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
