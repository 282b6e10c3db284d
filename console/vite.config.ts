// One bundle under /assets/, no inline script (the console server's Content-Security-Policy allows none),
// nothing fetched from a CDN: everything the page needs is in dist/.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 400,
  },
});
