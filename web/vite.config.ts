// Builds the dashboard into STRATUS_WEB_OUT (CMake passes <build>/share/stratus/web, where
// stratusd looks beside its binary), or dist/. Asset names carry a content hash, so
// stratusd can let browsers cache them for a year.
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

export default defineConfig({
  plugins: [preact()],
  base: '/',
  build: {
    outDir: process.env.STRATUS_WEB_OUT ?? 'dist',
    emptyOutDir: true,
    sourcemap: false,
    assetsDir: 'assets',
  },
  // `npm run dev`: the API and the event stream of a running stratusd (STRATUS_URL).
  server: {
    proxy: {
      '/v1': { target: process.env.STRATUS_URL ?? 'http://127.0.0.1:8080', ws: true },
    },
  },
});
