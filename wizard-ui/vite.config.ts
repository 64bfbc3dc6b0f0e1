/**
 * Builds the wizard's browser app into dist/ (served by @certwizard/wizard). Nothing inline: the
 * page is served under `script-src 'self'; style-src 'self'`, so the script and the stylesheet
 * are files, no asset is inlined as a data: URL, and no module-preload polyfill is injected.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
});
