import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// Built by scripts/build.mjs into dist/client, which src/web/routes.ts serves: index.html is the
// shell of every page, assets/ holds content-hashed files (cached for a year).
export default defineConfig({
  root: import.meta.dirname,
  plugins: [preact()],
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    // Every browser the interface supports has module preload: no polyfill in the first page's script.
    modulePreload: { polyfill: false },
    target: 'es2022',
    // The icon too gets a hashed file (cached for a year) rather than a data: URL the CSP would refuse.
    assetsInlineLimit: 0,
  },
  logLevel: 'warn',
});
