#!/usr/bin/env node
// Checks the import directions of the sources (run by `npm test`, before the tests; plain Node, no build).
//
// Reads every .ts/.tsx file under src/ and web/src (tests beside the code included: they obey the same
// rules), takes its `import ... from '...'`, `import '...'`, `export ... from '...'` and `import('...')`
// with a relative specifier, resolves them to files, and checks:
//   (a) which part of the repository may import which (AREAS below);
//   (b) inside src/server, that an import only points down the layer order (SERVER_LAYERS below);
//   (c) that no file imports itself back through a chain of imports (type-only imports count too: a
//       cycle of types is still two modules that cannot be understood one without the other).
// Prints `import check: N files, M imports, K violations`, then one line per violation
// (`file -> imported file: why`), and exits 1 if there is any.
//
// Usage: node scripts/check-imports.mjs
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCAN = ['src', 'web/src'];

// ---- (a) areas -----------------------------------------------------------------------------------
// Each file belongs to the first area whose prefix it starts with; it may import files of the areas in
// `may` (its own area always). `*` means anything under src/.
const AREAS = [
  // The wire protocol, shared by the server and every client: depends on nothing of ours.
  { name: 'src/protocol', may: [] },
  // The client SDK (used by the web UI in browsers, the TUI and the load generator): protocol only.
  { name: 'src/client', may: ['src/protocol'] },
  // The server: protocol only, never a client or a tool.
  { name: 'src/server', may: ['src/protocol'] },
  // The terminal client and the load generator are clients: SDK and protocol.
  { name: 'src/tui', may: ['src/client', 'src/protocol'] },
  { name: 'src/loadtest', may: ['src/client', 'src/protocol'] },
  // The `scale-chat` command starts the server, the TUI, the load generator and the admin tools.
  { name: 'src/cli', may: ['*'] },
  // The browser UI: SDK and protocol.
  { name: 'web/src', may: ['src/client', 'src/protocol'] },
];

// Imports the rules above do not allow, allowed one by one (importer -> imported, both from the root).
const EXCEPTIONS = new Map([
  // The test checks that generated load-test names stay distinct under the server's look-alike folding:
  // it needs the server's key function itself (a test, not shipped code).
  ['src/loadtest/options.test.ts -> src/server/common/name-key.ts', 'test of names against the server key'],
]);

// Files the SDK's and the web UI's shipped code (src/client, web/src, tests aside) may not import although
// their area is allowed: they would put the server's validation schemas (zod) into the browser bundles
// (the SDK's: 33.6 -> 9.2 KB gzipped without them; the web UI's: 144 -> 119 KB). Both import the protocol
// module by module; the types of schema.ts come in with `import type` (erased).
const CLIENT_BANNED = new Map([
  ['src/protocol/index.ts', 'it re-exports the zod schemas: import the protocol module you need'],
  ['src/protocol/codec.ts', 'it validates client frames with zod: the SDK decodes with src/protocol/server-frame.ts'],
]);

// ---- (b) layers of src/server ----------------------------------------------------------------------
// An import may only point to a LOWER rank; entries of the same rank are peers and do not import each
// other; files of one entry import each other freely (the cycle check still applies). A file of
// src/server that matches no entry is a violation: a new folder or base file gets its row here.
// An entry ending in `/` is a folder (with its sub-folders), else one file of src/server. A third element
// lists lower entries the entry still may not import (a layer it must reach through another one).
const SERVER_LAYERS = [
  // Pure helpers (no state, no I/O): client addresses, request targets, the name key.
  [1, ['common/']],
  // Base: configuration, logging, metrics. config.ts parses addresses with common/client-ip.ts.
  [2, ['config.ts']],
  [2, ['logger.ts']],
  [2, ['metrics.ts']],
  [2, ['instrument.ts']],
  // Persistence.
  [3, ['store/']],
  // Event bus between nodes: memory, and Redis (bus/redis/: connector, sequencer, gap filler from the store).
  [4, ['bus/']],
  // Cluster state (names, presence, node heartbeats) and abuse-limit counters: peers, both on the bus's
  // Redis connector.
  [5, ['cluster/']],
  [5, ['limits/']],
  [5, ['webhooks/']],
  // Sign-in: tokens, passwords, login throttle, the handshake.
  [6, ['auth/']],
  // Rooms, messages, presence fan-out: the chat itself, knowing no socket.
  [7, ['hub/']],
  // Admin API.
  [8, ['admin/']],
  // HTTP API for backends (API keys, bot users): on the hub's handlers and pipeline, beside the admin API.
  [8, ['api/']],
  // HTTP and WebSocket: the sockets, delivering to the hub. The gateway reads no store: it asks auth (who
  // is this) and the hub (what does this user see).
  [9, ['transport/'], ['store/']],
  // Composition root: builds the engines from the config and wires everything (may import each other).
  [10, ['app.ts', 'engines.ts', 'main.ts', 'workers.ts', 'cluster-metrics.ts']],
];

// ---- reading ---------------------------------------------------------------------------------------
const posix = (p) => p.split(sep).join('/');

function walk(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/**
 * The module specifiers of a file's imports and re-exports. Statements are taken from the start of a
 * line (outside block comments) up to their specifier; dynamic `import('x')` anywhere outside comments.
 */
function specifiers(text) {
  const out = [];
  const lines = text.split('\n');
  let inComment = false;
  let stmt = null; // an import/export statement being read over several lines
  for (let raw of lines) {
    if (inComment) {
      const end = raw.indexOf('*/');
      if (end < 0) continue;
      inComment = false;
      raw = raw.slice(end + 2);
    }
    const trimmed = raw.trimStart();
    if (stmt === null && trimmed.startsWith('/*')) {
      if (!trimmed.includes('*/', 2)) inComment = true;
      continue;
    }
    if (trimmed.startsWith('//') || trimmed.startsWith('*')) continue;
    const code = raw.replace(/(^|\s)\/\/.*$/, '');
    if (stmt === null && /^(import\s|import\{|import['"]|export\s+(type\s+)?(\*|\{))/.test(trimmed)) stmt = '';
    if (stmt !== null) {
      stmt += ` ${code}`;
      const m = /^\s*(?:import\s*(?:type\s+)?['"]([^'"]+)['"]|[\s\S]*?\bfrom\s*['"]([^'"]+)['"])/.exec(stmt);
      if (m) {
        out.push(m[1] ?? m[2]);
        stmt = null;
      } else if (/;\s*$/.test(stmt) || stmt.length > 4000) stmt = null; // `export { a, b };`: no specifier
      continue;
    }
    for (const d of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(d[1]);
  }
  return out;
}

/** The file a relative specifier names (TypeScript style: `./x.js` is ./x.ts or ./x.tsx), or undefined. */
function resolveSpec(fromFile, spec) {
  const base = resolve(dirname(fromFile), spec);
  const stem = base.replace(/\.(m|c)?jsx?$/, '');
  const tries = [
    base,
    `${stem}.ts`,
    `${stem}.tsx`,
    `${base}.ts`,
    `${base}.tsx`,
    join(base, 'index.ts'),
    join(base, 'index.tsx'),
  ];
  return tries.find((p) => existsSync(p) && statSync(p).isFile());
}

// ---- rules -----------------------------------------------------------------------------------------
function areaOf(file) {
  return AREAS.find((a) => file === a.name || file.startsWith(`${a.name}/`));
}

const layerEntries = SERVER_LAYERS.flatMap(([rank, paths, not = []], index) =>
  paths.map((p) => ({ rank, index, path: p, label: paths.join(', '), not })),
);

function layerOf(file) {
  const inServer = file.slice('src/server/'.length);
  let best;
  for (const e of layerEntries) {
    const hit = e.path.endsWith('/') ? inServer.startsWith(e.path) : inServer === e.path || inServer === e.path.replace(/\.ts$/, '.test.ts');
    if (hit && (!best || e.path.length > best.path.length)) best = e;
  }
  return best;
}

function checkEdge(from, to) {
  const key = `${from} -> ${to}`;
  if (EXCEPTIONS.has(key)) return undefined;
  if (!to.startsWith('src/') && !to.startsWith('web/src/')) return `imports outside the sources (${to})`;
  const a = areaOf(from);
  const b = areaOf(to);
  if (!a) return `${from} is in no area of scripts/check-imports.mjs`;
  if (!b) return `${to} is in no area of scripts/check-imports.mjs`;
  if (a !== b && !a.may.includes('*') && !a.may.includes(b.name)) {
    return `${a.name} may import only ${[a.name, ...a.may].join(', ')}, not ${b.name}`;
  }
  if ((a.name === 'src/client' || a.name === 'web/src') && !/\.test\.tsx?$/.test(from) && CLIENT_BANNED.has(to)) {
    return `${a.name === 'src/client' ? 'the SDK' : 'the web UI'} does not import ${to}: ${CLIENT_BANNED.get(to)}`;
  }
  if (a.name === 'src/server' && b.name === 'src/server') {
    const la = layerOf(from);
    const lb = layerOf(to);
    if (!la) return `${from} is in no layer of SERVER_LAYERS (scripts/check-imports.mjs)`;
    if (!lb) return `${to} is in no layer of SERVER_LAYERS (scripts/check-imports.mjs)`;
    if (la.index === lb.index) return undefined;
    if (la.rank === lb.rank) return `peers do not import each other (${la.label} and ${lb.label} are both layer ${la.rank})`;
    if (lb.rank > la.rank) return `upward import: ${la.label} (layer ${la.rank}) may not import ${lb.label} (layer ${lb.rank})`;
    if (la.not.includes(lb.path)) return `${la.label} does not import ${lb.label} (see its row in SERVER_LAYERS)`;
  }
  return undefined;
}

// ---- main ------------------------------------------------------------------------------------------
const files = SCAN.flatMap((d) => walk(join(ROOT, d), [])).sort();
const rel = (p) => posix(relative(ROOT, p));
const graph = new Map(); // file -> imported files (relative to ROOT)
const violations = [];
let imports = 0;

for (const abs of files) {
  const from = rel(abs);
  const deps = new Set();
  for (const spec of specifiers(readFileSync(abs, 'utf8'))) {
    if (!spec.startsWith('.')) continue; // packages and node: builtins
    imports++;
    const target = resolveSpec(abs, spec);
    if (!target) {
      violations.push(`${from} -> ${spec}: does not resolve to a file`);
      continue;
    }
    const to = rel(target);
    if (!/\.tsx?$/.test(to)) continue; // stylesheets, JSON
    deps.add(to);
    const why = checkEdge(from, to);
    if (why) violations.push(`${from} -> ${to}: ${why}`);
  }
  graph.set(from, deps);
}

// (c) cycles: strongly connected components (Tarjan), then one cycle path through each.
{
  let counter = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const components = [];
  const visit = (root) => {
    // iterative, so a long chain of imports cannot overflow the call stack
    const work = [[root, [...(graph.get(root) ?? [])], 0]];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const [v, deps] = frame;
      if (frame[2] < deps.length) {
        const w = deps[frame[2]++];
        if (!graph.has(w)) continue;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push([w, [...graph.get(w)], 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent), low.get(v)));
      }
      if (low.get(v) === index.get(v)) {
        const comp = [];
        let w;
        do {
          w = stack.pop();
          onStack.delete(w);
          comp.push(w);
        } while (w !== v);
        if (comp.length > 1 || graph.get(v).has(v)) components.push(comp);
      }
    }
  };
  for (const f of graph.keys()) if (!index.has(f)) visit(f);
  for (const comp of components) {
    // shortest path from the first file (sorted) back to itself, inside the component
    const members = new Set(comp);
    const start = [...comp].sort()[0];
    const prev = new Map();
    const queue = [start];
    let end;
    while (queue.length > 0 && end === undefined) {
      const v = queue.shift();
      for (const w of graph.get(v)) {
        if (!members.has(w)) continue;
        if (w === start) {
          end = v;
          break;
        }
        if (!prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    const path = [start];
    for (let v = end; v !== start; v = prev.get(v)) path.splice(1, 0, v);
    path.push(start);
    const more = comp.length > path.length - 1 ? ` (${comp.length} files in this cycle group)` : '';
    violations.push(`${path[0]} -> ${path[1]}: import cycle ${path.join(' -> ')}${more}`);
  }
}

console.log(`import check: ${files.length} files, ${imports} imports, ${violations.length} violations`);
for (const v of violations) console.log(`  ${v}`);
process.exit(violations.length > 0 ? 1 : 0);
