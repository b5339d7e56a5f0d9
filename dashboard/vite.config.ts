import { defineConfig } from 'vite';

// Built into dist/ and served by Taifa Mail itself at /: hashed assets under /assets/ (cached for a year),
// index.html for every page's URL (never cached).
export default defineConfig({
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, assetsDir: 'assets' },
  oxc: { jsx: { runtime: 'automatic' } },
});
