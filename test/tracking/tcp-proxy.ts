import net from 'node:net';

/**
 * A TCP proxy in front of a database server that can stop answering: `blackhole()` cuts every open
 * connection and accepts new ones without ever forwarding a byte, as a server behind a dead route or
 * a full firewall does (connect succeeds at the proxy, the handshake never completes).
 */
export class TcpProxy {
  private mode: 'forward' | 'blackhole' = 'forward';
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const made: { proxy?: TcpProxy } = {};
    const server = net.createServer((client) => made.proxy?.accept(client, target));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port);
    made.proxy = proxy;
    return proxy;
  }

  /** Cuts every connection; new ones hang. */
  blackhole(): void {
    this.mode = 'blackhole';
    this.cutAll();
  }

  /** Cuts the hanging connections; new ones reach the server again. */
  forward(): void {
    this.mode = 'forward';
    this.cutAll();
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket, target: { host: string; port: number }): void {
    this.track(client);
    client.on('error', () => client.destroy());
    if (this.mode === 'blackhole') return; // read nothing, answer nothing
    const upstream = this.track(net.connect(target.port, target.host));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  }

  private track(s: net.Socket): net.Socket {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    return s;
  }

  private cutAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }
}
