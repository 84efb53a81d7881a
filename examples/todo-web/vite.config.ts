/**
 * `npx vite examples/todo-web` (dev server) or `npx vite build examples/todo-web`. The app imports
 * portabase from this repository's sources (relative paths); an app of your own imports
 * 'portabase' and 'portabase/offline' from npm instead.
 */
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Listens on 127.0.0.1: IndexedDB and Web Locks need a real http origin (localhost is a secure context).
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  build: { target: 'es2022', emptyOutDir: true },
})
