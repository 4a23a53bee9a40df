/**
 * The chaos lab's own network (cluster mode): each node runs as a test host in a network namespace the
 * lab creates, joined to one bridge in the lab's namespace, where Redis, PostgreSQL and nginx listen on
 * the bridge's address beside 127.0.0.1.
 *
 *   bridge scb<id>      10.213.<k>.1/24  (Redis, PostgreSQL, nginx's upstream side)
 *   netns sclab<id>-n1  eth0 10.213.<k>.11/24, lo   (node 1: `ip netns exec` keeps its pid)
 *   netns sclab<id>-n2  eth0 10.213.<k>.12/24, lo   ...
 *
 * Faults are nft rules in a node's own namespace (table `inet sclab`), so they can only ever touch that
 * node's traffic; heal() flushes them:
 *  - backends: the node's packets to and from Redis and PostgreSQL are dropped (silently: no RST, as a
 *    real partition), while its clients stay connected through nginx;
 *  - clients: its packets to and from nginx on its listen port are dropped; Redis and PostgreSQL stay;
 *  - loss: a share of every packet of the node is dropped at random, both ways (nft `numgen random`).
 *  - delay: `tc netem` on the node's eth0; only when the kernel has sch_netem (this machine's does not:
 *    netemMissing() says so and the kind is refused before the run).
 * cleanup() deletes the namespaces (their veth ends go with them) and the bridge; it is synchronous, so it
 * also runs from an 'exit' handler.
 */
import { spawnSync } from 'node:child_process';
import { findBinary, isRoot } from '../../test/helpers/binaries.js';

function run(args: string[], ns?: string): { ok: boolean; out: string } {
  const argv = ns ? ['netns', 'exec', ns, ...args] : args;
  const bin = ns ? 'ip' : argv.shift()!;
  const r = spawnSync(bin, argv, { encoding: 'utf8', timeout: 10_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

function must(args: string[], ns?: string): void {
  const r = run(args, ns);
  if (!r.ok) throw new Error(`${ns ? `[netns ${ns}] ` : ''}${args.join(' ')}: ${r.out}`);
}

/** Why the lab cannot make its own network here (not root, no iproute2 or nft), or null. */
export function netMissing(): string | null {
  if (!isRoot()) return 'network namespaces need root';
  if (!findBinary('ip', ['/usr/sbin', '/sbin'])) return 'no `ip` (Debian package iproute2)';
  if (!findBinary('nft', ['/usr/sbin', '/sbin'])) return 'no `nft` (Debian package nftables)';
  return null;
}

/** Why `delay` cannot run here (no `tc`, or no sch_netem in this kernel), or null: a netem qdisc on the lo of a throwaway namespace. */
export function netemMissing(): string | null {
  const missing = netMissing();
  if (missing) return missing;
  if (!findBinary('tc', ['/usr/sbin', '/sbin'])) return 'no `tc` (Debian package iproute2)';
  const ns = `sclab${process.pid % 100_000}-probe`;
  must(['ip', 'netns', 'add', ns]);
  try {
    const probe = run(['tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms'], ns);
    return probe.ok ? null : `tc netem is not available on this kernel (tc: ${probe.out.split('\n')[0]})`;
  } finally {
    run(['ip', 'netns', 'del', ns]);
  }
}

export type NetFault = 'backends' | 'clients' | 'loss' | 'delay';

export interface LabHost {
  /** The namespace's name (for `ip netns exec`). */
  readonly ns: string;
  /** Its address on the bridge. */
  readonly addr: string;
  /** Starts a fault on this host: backends and clients need the ports, loss a percent, delay ms. */
  fault(kind: NetFault, p: { backendPorts?: number[]; listenPort?: number; lossPct?: number; delayMs?: number }): void;
  /** Removes every fault of this host. */
  heal(): void;
}

export interface LabNet {
  /** The bridge's address: what the services the nodes reach listen on. */
  readonly hostAddr: string;
  readonly cidr: string;
  readonly hosts: readonly LabHost[];
  cleanup(): void;
}

/** A /24 in 10.213-222.x.0 that no interface of this machine uses. */
function freeSubnet(id: number): string {
  const used = run(['ip', '-o', '-4', 'addr', 'show']).out;
  for (let i = 0; i < 2500; i++) {
    const k = (id + i) % 2500;
    const net = `10.${213 + Math.floor(k / 250)}.${k % 250}`;
    if (!used.includes(` ${net}.`)) return net;
  }
  throw new Error('no free 10.213-222.x.0/24 for the lab network');
}

export function createNet(count: number): LabNet {
  const missing = netMissing();
  if (missing) throw new Error(`chaos network: ${missing}`);
  const id = process.pid % 100_000;
  const net = freeSubnet(id);
  const bridge = `scb${id}`;
  const nss: string[] = [];
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    for (const ns of nss) run(['ip', 'netns', 'del', ns]);
    run(['ip', 'link', 'del', bridge]);
  };
  try {
    must(['ip', 'link', 'add', bridge, 'type', 'bridge']);
    must(['ip', 'addr', 'add', `${net}.1/24`, 'dev', bridge]);
    must(['ip', 'link', 'set', bridge, 'up']);
    const hosts: LabHost[] = [];
    for (let i = 1; i <= count; i++) {
      const ns = `sclab${id}-n${i}`;
      const veth = `scv${id}n${i}`;
      must(['ip', 'netns', 'add', ns]);
      nss.push(ns);
      must(['ip', 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      must(['ip', 'link', 'set', veth, 'master', bridge]);
      must(['ip', 'link', 'set', veth, 'up']);
      must(['ip', 'link', 'set', 'lo', 'up'], ns);
      must(['ip', 'addr', 'add', `${net}.${10 + i}/24`, 'dev', 'eth0'], ns);
      must(['ip', 'link', 'set', 'eth0', 'up'], ns);
      must(['nft', 'add', 'table', 'inet', 'sclab'], ns);
      must(['nft', 'add chain inet sclab in { type filter hook input priority 0 ; policy accept ; }'], ns);
      must(['nft', 'add chain inet sclab out { type filter hook output priority 0 ; policy accept ; }'], ns);
      hosts.push(host(ns, `${net}.${10 + i}`, `${net}.1`));
    }
    return { hostAddr: `${net}.1`, cidr: `${net}.0/24`, hosts, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}

function host(ns: string, addr: string, hostAddr: string): LabHost {
  const nft = (rule: string) => must(['nft', rule], ns);
  let delayed = false;
  return {
    ns,
    addr,
    fault(kind, p) {
      switch (kind) {
        case 'backends': {
          const ports = `{ ${(p.backendPorts ?? []).join(', ')} }`;
          nft(`add rule inet sclab out ip daddr ${hostAddr} tcp dport ${ports} drop`);
          nft(`add rule inet sclab in ip saddr ${hostAddr} tcp sport ${ports} drop`);
          return;
        }
        case 'clients':
          nft(`add rule inet sclab out tcp sport ${p.listenPort} drop`);
          nft(`add rule inet sclab in tcp dport ${p.listenPort} drop`);
          return;
        case 'loss': {
          const pct = Math.max(1, Math.min(99, Math.round(p.lossPct ?? 10)));
          nft(`add rule inet sclab out oifname "eth0" numgen random mod 100 < ${pct} drop`);
          nft(`add rule inet sclab in iifname "eth0" numgen random mod 100 < ${pct} drop`);
          return;
        }
        case 'delay':
          must(['tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'netem', 'delay', `${Math.round(p.delayMs ?? 100)}ms`], ns);
          delayed = true;
          return;
      }
    },
    heal() {
      nft('flush table inet sclab');
      if (delayed) run(['tc', 'qdisc', 'del', 'dev', 'eth0', 'root'], ns);
      delayed = false;
    },
  };
}
