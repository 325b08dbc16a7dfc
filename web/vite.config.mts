import { defineConfig } from 'vite';

/** The browser app: built into web/dist, which the server serves at `/` (server/http/static.ts). */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // the modeler and the form editor are loaded on demand; they are large by nature
    chunkSizeWarningLimit: 3000,
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:3000',
      '/v2': 'http://127.0.0.1:3000',
    },
  },
});
