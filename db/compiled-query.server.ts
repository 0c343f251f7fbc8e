// A query compiled once and run many times with new values. Kysely builds and compiles a query's
// syntax tree on every call; for the few queries behind every page (the session, the home page, a
// lesson) that costs the server more than running them. Their shape never changes, only values.
import type { Compilable, CompiledQuery, Kysely } from "kysely";
import type { Database } from "./schema";

/** Stands for a value in the compiled query until a call supplies it. */
class Slot {
  constructor(readonly name: string) {}
}

/**
 * `build` receives stand-ins for the named values and must use them only as values (compared,
 * inserted, limited by), never look at them: it runs once, and the query it returns is the one
 * every call runs.
 */
export function compiledQuery<const K extends string, V extends Record<K, unknown>, R>(
  names: readonly K[],
  build: (db: Kysely<Database>, values: V) => Compilable<R>,
) {
  // Both engines speak Postgres and compile alike: one compiled query serves every connection
  // and transaction.
  let compiled: CompiledQuery<R> | undefined;
  const compile = (db: Kysely<Database>) => {
    const slots = Object.fromEntries(names.map((name) => [name, new Slot(name)])) as unknown as V;
    const query = build(db, slots).compile();
    const used = new Set(query.parameters.filter((p): p is Slot => p instanceof Slot).map((p) => p.name));
    const unused = names.filter((name) => !used.has(name));
    if (unused.length > 0) throw new Error(`compiledQuery: ${unused.join(", ")} not used in the query`);
    compiled = query;
    return query;
  };
  return async (db: Kysely<Database>, values: V): Promise<R[]> => {
    const query = compiled ?? compile(db);
    const parameters = query.parameters.map((p) => (p instanceof Slot ? values[p.name as K] : p));
    const result = await db.executeQuery<R>({ ...query, parameters });
    return result.rows;
  };
}
