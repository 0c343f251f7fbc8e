// Facts of a test run shared by the global setup (outside the test workers) and the test files.
import net from "node:net";
import pg from "pg";

export const serverUrl = process.env.DATABASE_URL || undefined;
export const engine = serverUrl ? "postgres" : "pglite";

/** The embedded engine's images in the run's folder: initialised but empty, and migrated. */
export const PGLITE_IMAGES = { empty: "pglite-empty.tar", migrated: "pglite-migrated.tar" } as const;

/** The URL of another database on the same server. */
export function databaseUrl(name: string): string {
  const url = new URL(serverUrl!);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs one statement on the server's maintenance database (create and drop databases). */
export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A TCP port free on this machine now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
