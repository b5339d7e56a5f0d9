import dns2 from 'dns2';

/** Records served by the loopback DNS server; names without a trailing dot, case-insensitive. */
export interface DnsZone {
  mx?: Record<string, Array<{ exchange: string; priority: number }>>;
  a?: Record<string, string[]>;
  aaaa?: Record<string, string[]>;
  /** Each string is one TXT record; long ones go out as 255-byte character strings. */
  txt?: Record<string, string[]>;
  cname?: Record<string, string>;
}

/** A DNS server on 127.0.0.1 (UDP and TCP, same port) answering from a mutable zone. */
export interface DnsServer {
  /** `127.0.0.1:PORT`, for TAIFA_DNS_SERVERS and Resolver.setServers. */
  address: string;
  port: number;
  zone: DnsZone;
  set(zone: DnsZone): void;
  /** Queries for `name` answer SERVFAIL from now on. */
  servfail(name: string): void;
  close(): Promise<void>;
}

const { Packet } = dns2;
const NOERROR = 0;
const SERVFAIL = 2;
const NXDOMAIN = 3;

function chunks(s: string): string[] {
  const buf = Buffer.from(s, 'utf8');
  const out: string[] = [];
  for (let i = 0; i < buf.length; i += 255) out.push(buf.subarray(i, i + 255).toString('latin1'));
  return out.length ? out : [''];
}

function lower<T>(map: Record<string, T> | undefined): Map<string, T> {
  return new Map(Object.entries(map ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}

/** Starts the server; a name in no map answers NXDOMAIN, a known name without the asked type NODATA. */
export async function startDnsServer(initial: DnsZone = {}): Promise<DnsServer> {
  let zone: DnsZone = initial;
  const failing = new Set<string>();
  const server = dns2.createServer({
    udp: true,
    tcp: true,
    handle: (request: any, send: (r: any) => void) => {
      const response: any = Packet.createResponseFromRequest(request);
      const q = request.questions[0];
      const name = String(q?.name ?? '')
        .toLowerCase()
        .replace(/\.$/, '');
      const maps = {
        mx: lower(zone.mx),
        a: lower(zone.a),
        aaaa: lower(zone.aaaa),
        txt: lower(zone.txt),
        cname: lower(zone.cname),
      };
      const base = { name: q?.name, class: Packet.CLASS.IN, ttl: 1 };
      if (failing.has(name)) response.header.rcode = SERVFAIL;
      else if (!Object.values(maps).some((m) => m.has(name))) response.header.rcode = NXDOMAIN;
      else {
        response.header.rcode = NOERROR;
        response.header.aa = 1;
        switch (q.type) {
          case Packet.TYPE.MX:
            for (const mx of maps.mx.get(name) ?? [])
              response.answers.push({ ...base, type: Packet.TYPE.MX, exchange: mx.exchange, priority: mx.priority });
            break;
          case Packet.TYPE.A:
            for (const ip of maps.a.get(name) ?? [])
              response.answers.push({ ...base, type: Packet.TYPE.A, address: ip });
            break;
          case Packet.TYPE.AAAA:
            for (const ip of maps.aaaa.get(name) ?? [])
              response.answers.push({ ...base, type: Packet.TYPE.AAAA, address: ip });
            break;
          case Packet.TYPE.TXT:
            for (const txt of maps.txt.get(name) ?? [])
              response.answers.push({ ...base, type: Packet.TYPE.TXT, data: chunks(txt) });
            break;
          case Packet.TYPE.CNAME: {
            const target = maps.cname.get(name);
            if (target) response.answers.push({ ...base, type: Packet.TYPE.CNAME, domain: target });
            break;
          }
          default:
            break;
        }
      }
      send(response);
    },
  });
  server.on('requestError', () => undefined);
  server.on('error', () => undefined);
  // UDP and TCP on the same port: take the port UDP got, then bind TCP to it.
  const udp = (server as any).servers.udp;
  const tcp = (server as any).servers.tcp;
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(0, '127.0.0.1', () => resolve());
  });
  const port: number = udp.address().port;
  const bound = await new Promise<boolean>((resolve, reject) => {
    tcp.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve(false) : reject(e)));
    tcp.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (!bound) {
    // Another process holds that TCP port: start over on a fresh one.
    await new Promise<void>((r) => udp.close(() => r()));
    return startDnsServer(initial);
  }
  return {
    address: `127.0.0.1:${port}`,
    port,
    get zone() {
      return zone;
    },
    set(next: DnsZone) {
      zone = next;
    },
    servfail(name: string) {
      failing.add(name.toLowerCase());
    },
    close: async () => {
      await new Promise<void>((r) => udp.close(() => r()));
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
}
