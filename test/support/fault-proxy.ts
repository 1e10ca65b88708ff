import net from 'node:net';

/**
 * A TCP proxy the suite puts between the app and MariaDB or Redis, so a test can break a
 * dependency without touching the shared servers:
 *  - `cut()`: every open connection is reset and new ones are refused (ECONNREFUSED) until `heal()`;
 *  - `freeze()`: connections stay open (and new ones are accepted) but no byte goes either way
 *    until `heal()`, like a server that hangs;
 *  - `slow(ms)`: every chunk is held `ms` before it is passed on;
 *  - `heal()`: back to a plain pipe (frozen bytes are then delivered in order).
 */
export type ProxyMode = 'pass' | 'cut' | 'freeze' | 'slow';

interface Pipe {
  client: net.Socket;
  upstream: net.Socket;
}

export class FaultProxy {
  private server?: net.Server;
  private readonly pipes = new Set<Pipe>();
  private readonly held: Array<() => void> = [];
  private mode: ProxyMode = 'pass';
  private delayMs = 0;
  port = 0;
  /** Connections accepted so far (a test can see that the app reconnected). */
  accepted = 0;

  constructor(
    private readonly target: { host: string; port: number },
    private readonly listenPort = 0,
  ) {}

  /** Proxy for the host and port of a `mysql://` or `redis://` URL; `url` rewrites one to go through it. */
  static forUrl(url: string): FaultProxy {
    const u = new URL(url);
    return new FaultProxy({ host: u.hostname, port: Number(u.port || (u.protocol === 'redis:' ? 6379 : 3306)) });
  }

  url(original: string): string {
    const u = new URL(original);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  get current(): ProxyMode {
    return this.mode;
  }

  async start(): Promise<this> {
    await this.listen();
    return this;
  }

  private listen(): Promise<void> {
    const server = net.createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port || this.listenPort, '127.0.0.1', () => {
        this.port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    const upstream = net.connect(this.target.port, this.target.host);
    const pipe: Pipe = { client, upstream };
    this.pipes.add(pipe);
    const forward = (to: net.Socket) => (chunk: Buffer) => {
      const send = () => {
        if (!to.destroyed) to.write(chunk);
      };
      if (this.mode === 'freeze') this.held.push(send);
      else if (this.mode === 'slow') setTimeout(send, this.delayMs).unref();
      else send();
    };
    client.on('data', forward(upstream));
    upstream.on('data', forward(client));
    const close = () => {
      this.pipes.delete(pipe);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  }

  /** Reset every connection and refuse new ones. */
  async cut(): Promise<void> {
    this.mode = 'cut';
    this.held.length = 0;
    for (const p of this.pipes) {
      p.client.resetAndDestroy();
      p.upstream.destroy();
    }
    this.pipes.clear();
    await this.closeServer();
  }

  /** Keep connections open but pass nothing, in either direction. */
  freeze(): void {
    this.mode = 'freeze';
  }

  slow(ms: number): void {
    this.mode = 'slow';
    this.delayMs = ms;
  }

  /** Back to a plain pipe; after a cut, listen again on the same port. */
  async heal(): Promise<void> {
    const wasCut = this.mode === 'cut';
    this.mode = 'pass';
    for (const send of this.held.splice(0)) send();
    if (wasCut) await this.listen();
  }

  private closeServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  async stop(): Promise<void> {
    this.mode = 'pass';
    this.held.length = 0;
    for (const p of this.pipes) {
      p.client.destroy();
      p.upstream.destroy();
    }
    this.pipes.clear();
    await this.closeServer();
  }
}
