// The SDK's browser bundle: one minified ES module, dist/browser/scale-chat-client.min.js (the package's
// "./browser" export), built from src/client/index.ts by Vite's library mode. No dependency is left
// external: the SDK imports none at run time (zod only for types; ws is for Node and passed in).
// Its size is held to a budget by test/sdk-bundle.test.ts.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  configFile: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('./dist/browser', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    minify: 'oxc',
    // Library mode keeps the whitespace of an ES bundle (for the bundlers that re-bundle it); this file is
    // loaded by browsers as it is, so it is minified all the way.
    rolldownOptions: { output: { minify: true, comments: false } },
    sourcemap: false,
    reportCompressedSize: false,
    lib: {
      entry: fileURLToPath(new URL('../../src/client/index.ts', import.meta.url)),
      formats: ['es'],
      fileName: () => 'scale-chat-client.min.js',
    },
  },
});
