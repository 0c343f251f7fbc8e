// A pg pool for Kysely whose queries run as named prepared statements: Postgres parses and plans
// each distinct statement once per connection instead of on every request. Kysely compiles a query
// to the same text whatever its values, so the set of statements is small and fixed.
import type { PostgresPool, PostgresPoolClient } from "kysely";
import type pg from "pg";

// Only single data statements are named: a text with several statements cannot be prepared, and
// transaction control gains nothing.
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b[^;]*$/i;

export class PreparingPool implements PostgresPool {
  private readonly names = new Map<string, string>();
  private readonly clients = new WeakMap<pg.PoolClient, PostgresPoolClient>();

  /** `limit` bounds the statements each connection keeps, should some code build texts without end. */
  constructor(
    readonly pool: pg.Pool,
    private readonly limit = 1000,
  ) {}

  async connect(): Promise<PostgresPoolClient> {
    const client = await this.pool.connect();
    // Kysely keys its connection objects on the client it gets: hand back the same wrapper each time.
    let wrapped = this.clients.get(client);
    if (!wrapped) {
      wrapped = {
        query: ((text: unknown, values?: readonly unknown[]) => {
          if (typeof text !== "string") return client.query(text as pg.Submittable);
          const name = this.nameFor(text);
          return name
            ? client.query({ name, text, values: values as unknown[] })
            : client.query(text, values as unknown[]);
        }) as unknown as PostgresPoolClient["query"],
        release: (destroy?: boolean) => client.release(destroy),
      };
      this.clients.set(client, wrapped);
    }
    return wrapped;
  }

  end(): Promise<void> {
    return this.pool.end();
  }

  private nameFor(text: string): string | undefined {
    const known = this.names.get(text);
    if (known || this.names.size >= this.limit || !PREPARABLE.test(text)) return known;
    const name = `k${this.names.size + 1}`;
    this.names.set(text, name);
    return name;
  }
}
