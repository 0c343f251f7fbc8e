import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig } from "vite";
import remixConfig from "./remix.config.js";

declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}

export default defineConfig({
  plugins: [remix(remixConfig)],
  resolve: { alias: { "~": new URL("./app", import.meta.url).pathname } },
  server: { port: 3000 },
  build: { target: "es2022" },
  ssr: { external: ["@electric-sql/pglite", "@node-rs/argon2", "pg", "nodemailer", "pdfkit", "qrcode"] },
});
