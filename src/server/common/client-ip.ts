/**
 * The address a connection comes from, as the login throttle and the logs see it. Behind a reverse
 * proxy (nginx, a cloud load balancer) the socket's peer is the proxy: every client would share one
 * address and one throttle bucket. With `trustProxy` (addresses or CIDR subnets of the proxies) the
 * server believes `X-Forwarded-For` from those peers only: it walks the header from the right
 * (the hop nearest to us) and takes the first address that is not a trusted proxy, like nginx's
 * `real_ip_recursive on`. A header from any other peer is ignored, so clients cannot choose their address.
 * `addressKey` is the unit the per-address counters (login throttle, abuse limits) count by.
 */
import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/** `::ffff:127.0.0.1` (IPv4 on a dual-stack socket) -> `127.0.0.1`. */
function plain(addr: string): string {
  return addr.startsWith('::ffff:') && isIP(addr.slice(7)) === 4 ? addr.slice(7) : addr;
}

/** Parses one `trustProxy` entry (an address or `address/prefix`); throws a readable message when invalid. */
export function parseTrusted(entry: string, list: BlockList): void {
  const [addr, prefix, extra] = entry.split('/');
  const family = isIP(addr ?? '');
  if (!family || extra !== undefined) throw new Error(`"${entry}" is not an IP address or CIDR subnet`);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (prefix === undefined) return list.addAddress(addr!, type);
  const bits = Number(prefix);
  if (!/^\d{1,3}$/.test(prefix) || bits > (family === 4 ? 32 : 128)) throw new Error(`"${entry}": bad prefix length`);
  list.addSubnet(addr!, bits, type);
}

/** The counting unit of a client address: IPv4 as is, IPv6 by its /64 prefix. */
export function addressKey(ip: string): string {
  const addr = ip.replace(/%.*$/, '').toLowerCase();
  if (isIP(addr) !== 6) return ip;
  const [h = '', t] = addr.split('::');
  const groups = (s: string): string[] => (s ? s.split(':') : []);
  const width = (g: string[]): number => g.reduce((n, x) => n + (x.includes('.') ? 2 : 1), 0);
  const head = groups(h);
  const tail = t === undefined ? [] : groups(t);
  const full = [...head, ...Array<string>(Math.max(0, 8 - width(head) - width(tail))).fill('0'), ...tail];
  return full.slice(0, 4).map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16).toString(16) : g)).join(':') + '::/64';
}

export type ClientIp = (req: IncomingMessage) => string;

/** A test for "is this address in one of these addresses or CIDR subnets" (throws on a bad entry). */
export function addressMatcher(entries: readonly string[]): (addr: string) => boolean {
  if (entries.length === 0) return () => false;
  const list = new BlockList();
  for (const entry of entries) parseTrusted(entry, list);
  return (addr) => {
    const a = plain(addr);
    const family = isIP(a);
    return family !== 0 && list.check(a, family === 4 ? 'ipv4' : 'ipv6');
  };
}

export function clientIpResolver(trustProxy: readonly string[]): ClientIp {
  const peer = (req: IncomingMessage) => plain(req.socket.remoteAddress ?? '?');
  if (trustProxy.length === 0) return peer;
  const isTrusted = addressMatcher(trustProxy);
  return (req) => {
    let addr = peer(req);
    if (!isTrusted(addr)) return addr;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((h) => plain(h.trim())).filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      if (!isIP(hop)) return addr; // garbage in the chain: stop at the last address we could verify
      addr = hop;
      if (!isTrusted(hop)) return hop;
    }
    return addr;
  };
}
