import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// Built into web/dist, which the API server serves at / (src/server/web-ui.ts).
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 400 },
  server: { proxy: { '/api': 'http://127.0.0.1:4000' } },
})
