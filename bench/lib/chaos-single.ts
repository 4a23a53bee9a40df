/**
 * The chaos lab's single-node topology (--mode single): one `scale-chat serve` child with the embedded
 * engines (SQLite on a temp data dir, the in-memory bus), loopback abuse limits lifted by ./lab.ts,
 * pinned to `cpus`. Its faults: kill9 (kill -9, restart on the same data dir and port) and sigstop
 * (SIGSTOP for the hold, then SIGCONT). At the end the server stops and its SQLite file is read.
 */
import type { Topology } from './chaos-faults.js';
import type { ServerFaultKind } from './chaos-history.js';
import { readStore } from './chaos-store.js';
import { kill9, sleep, startServer, stop, tempDir, type Server } from './lab.js';

export async function startSingle(o: { cpus: string; args: string[]; log: (msg: string) => void }): Promise<Topology> {
  const dataDir = tempDir('scale-chat-chaos-data-');
  let server: Server = await startServer('scale-chat', { dataDir, cpus: o.cpus, args: o.args });
  const port = server.port;
  o.log(`server pid ${server.pid} on port ${port}, data ${dataDir}`);
  return {
    url: server.url,
    kinds: ['kill9', 'sigstop'],
    async fault({ kind, holdMs }: { kind: ServerFaultKind; holdMs: number }): Promise<string> {
      const at = Date.now();
      if (kind === 'kill9') {
        const pid = server.pid;
        await kill9(server);
        const gone = Date.now() - at;
        server = await startServer('scale-chat', { dataDir, port, cpus: o.cpus, args: o.args });
        return `kill -9 of pid ${pid}, gone in ${gone} ms, listening again ${Date.now() - at} ms after the kill (pid ${server.pid})`;
      }
      if (kind === 'sigstop') {
        const s = server;
        s.proc.kill('SIGSTOP');
        await sleep(holdMs);
        s.proc.kill('SIGCONT');
        return `SIGSTOP of pid ${s.pid} for ${Date.now() - at} ms`;
      }
      throw new Error(`--mode single has no ${kind} fault`);
    },
    async finish() {
      await stop(server.proc);
      return readStore(dataDir);
    },
    async cleanup() {
      // lab.ts kills tracked children and removes the data dir on exit; a stopped server stays stopped.
      if (server.proc.exitCode === null && server.proc.signalCode === null) await stop(server.proc);
    },
  };
}
