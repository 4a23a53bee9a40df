/**
 * Vite build of the web UI (root: web/, output: web/dist, served by the server at /).
 * `npm run build:web` from the package root. The bundle-size plugin prints the gzipped size of what
 * the browser loads first (index.html + the entry's JS and CSS, static imports included) and fails
 * the build past the 200 KB budget.
 */
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

const BUDGET_GZIP_BYTES = 200 * 1024;

function bundleSize(): Plugin {
  return {
    name: 'scale-chat-bundle-size',
    apply: 'build',
    writeBundle(_options, bundle) {
      const initial = new Set<string>();
      const visit = (fileName: string) => {
        const out = bundle[fileName];
        if (!out || initial.has(fileName)) return;
        initial.add(fileName);
        if (out.type === 'chunk') {
          out.imports.forEach(visit);
          for (const css of out.viteMetadata?.importedCss ?? []) visit(css);
        }
      };
      for (const out of Object.values(bundle)) if (out.type === 'chunk' && out.isEntry) visit(out.fileName);
      if (bundle['index.html']) initial.add('index.html');
      let raw = 0;
      let gz = 0;
      const lines: string[] = [];
      for (const name of [...initial].sort()) {
        const out = bundle[name];
        const data = out.type === 'chunk' ? out.code : out.source;
        const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
        const z = gzipSync(bytes, { level: 9 }).length;
        raw += bytes.length;
        gz += z;
        lines.push(`  ${name.padEnd(40)} ${(bytes.length / 1024).toFixed(1).padStart(7)} KB  gzip ${(z / 1024).toFixed(1).padStart(6)} KB`);
      }
      const verdict = gz <= BUDGET_GZIP_BYTES ? 'within' : 'OVER';
      console.log(`\ninitial bundle (what the browser loads first):\n${lines.join('\n')}`);
      console.log(`initial bundle total: ${(raw / 1024).toFixed(1)} KB, gzip ${(gz / 1024).toFixed(1)} KB (${verdict} the ${BUDGET_GZIP_BYTES / 1024} KB gzip budget)\n`);
      if (gz > BUDGET_GZIP_BYTES) this.error(`initial bundle is ${(gz / 1024).toFixed(1)} KB gzipped, over the ${BUDGET_GZIP_BYTES / 1024} KB budget`);
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react(), bundleSize()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    // `npx vite web` for development: the page talks to a server started with `npm start` (port 8080).
    proxy: { '/ws': { target: 'ws://127.0.0.1:8080', ws: true } },
    fs: { allow: ['..'] },
  },
  test: {
    include: ['src/**/*.test.{ts,tsx}'],
    environment: 'node',
  },
});
