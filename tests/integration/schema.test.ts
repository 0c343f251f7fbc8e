// The migrated database and db/schema.ts describe the same tables: the same columns, types,
// nullability and allowed values. The types are read from the source with the TypeScript
// compiler, so a migration that forgets the types, or types that forget a migration, fail here.
import path from "node:path";
import { sql } from "kysely";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "../../db/connect.server";
import { engine, testDatabase } from "../support/db";

type Kind = "text" | "number" | "boolean" | "timestamp" | "date" | "array" | "json";
interface Column {
  kind: Kind;
  nullable: boolean;
  /** Generated<…>: the database must supply a default. */
  generated: boolean;
  /** For a union of string literals: the values the column allows. */
  values?: string[];
}

let declared: Map<string, Map<string, Column>> | undefined;
const declaredSchema = () => (declared ??= readDeclaredSchema());

/** Reads `interface Database` of db/schema.ts: table → column → what the type says. */
function readDeclaredSchema(): Map<string, Map<string, Column>> {
  const file = path.resolve(import.meta.dirname, "../../db/schema.ts");
  const program = ts.createProgram([file], { strict: true, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  const interfaces = new Map<string, ts.InterfaceDeclaration>();
  ts.forEachChild(source, (node) => {
    if (ts.isInterfaceDeclaration(node)) interfaces.set(node.name.text, node);
  });

  const describe = (node: ts.TypeNode): Column => {
    let nullable = false;
    let generated = false;
    let current = node;
    for (;;) {
      if (ts.isUnionTypeNode(current)) {
        const rest = current.types.filter(
          (t) => !(ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword),
        );
        if (rest.length < current.types.length) nullable = true;
        if (rest.length === 1) {
          current = rest[0]!;
          continue;
        }
      }
      if (ts.isTypeReferenceNode(current) && ts.isIdentifier(current.typeName)) {
        const name = current.typeName.text;
        if (name === "Generated") {
          generated = true;
          current = current.typeArguments![0]!;
          continue;
        }
        if (name === "Timestamp" || name === "CreatedAt") return { kind: "timestamp", nullable, generated };
        if (name === "CalendarDate") return { kind: "date", nullable, generated };
        if (name === "Json") return { kind: "json", nullable, generated };
        if (name === "ColumnType") {
          const selected = checker.getTypeFromTypeNode(current.typeArguments![0]!);
          const kind: Kind = selected.symbol?.name === "Date" ? "timestamp" : "json";
          return { kind, nullable, generated };
        }
      }
      if (ts.isArrayTypeNode(current)) return { kind: "array", nullable, generated };
      break;
    }
    const type = checker.getTypeFromTypeNode(current);
    const literals = type.isUnion() ? type.types : [type];
    if (literals.every((t) => t.isStringLiteral()))
      return {
        kind: "text",
        nullable,
        generated,
        values: literals.map((t) => (t as ts.StringLiteralType).value).sort(),
      };
    if (type.flags & ts.TypeFlags.String) return { kind: "text", nullable, generated };
    if (type.flags & ts.TypeFlags.Number) return { kind: "number", nullable, generated };
    if (type.flags & ts.TypeFlags.BooleanLike) return { kind: "boolean", nullable, generated };
    throw new Error(`db/schema.ts: cannot map the type ${current.getText(source)}`);
  };

  const tables = new Map<string, Map<string, Column>>();
  for (const member of interfaces.get("Database")!.members) {
    if (!ts.isPropertySignature(member) || !member.type || !ts.isTypeReferenceNode(member.type)) continue;
    const table = interfaces.get((member.type.typeName as ts.Identifier).text)!;
    const columns = new Map<string, Column>();
    for (const column of table.members)
      if (ts.isPropertySignature(column) && column.type)
        columns.set((column.name as ts.Identifier).text, describe(column.type));
    tables.set((member.name as ts.Identifier).text, columns);
  }
  return tables;
}

const KINDS: Record<string, Kind> = {
  text: "text",
  uuid: "text",
  "character varying": "text",
  integer: "number",
  bigint: "number",
  smallint: "number",
  numeric: "number",
  boolean: "boolean",
  "timestamp with time zone": "timestamp",
  jsonb: "json",
  date: "date",
  ARRAY: "array",
};

/** The same, read from the migrated database: information_schema and the CHECK constraints. */
async function migratedSchema(database: DatabaseHandle): Promise<Map<string, Map<string, Column>>> {
  const columns = await sql<{
    table_name: string;
    column_name: string;
    data_type: string;
    is_nullable: "YES" | "NO";
    column_default: string | null;
    is_identity: "YES" | "NO";
  }>`
    select table_name, column_name, data_type, is_nullable, column_default, is_identity
    from information_schema.columns
    where table_schema = 'public' and table_name not like 'kysely_migration%'
  `.execute(database.db);
  const checks = await sql<{ table_name: string; definition: string }>`
    select c.conrelid::regclass::text as table_name, pg_get_constraintdef(c.oid) as definition
    from pg_constraint c join pg_namespace n on n.oid = c.connamespace
    where c.contype = 'c' and n.nspname = 'public'
  `.execute(database.db);
  const tables = new Map<string, Map<string, Column>>();
  for (const c of columns.rows) {
    const kind = KINDS[c.data_type];
    if (!kind) throw new Error(`${c.table_name}.${c.column_name}: unmapped type ${c.data_type}`);
    if (!tables.has(c.table_name)) tables.set(c.table_name, new Map());
    tables.get(c.table_name)!.set(c.column_name, {
      kind,
      nullable: c.is_nullable === "YES",
      generated: c.column_default !== null || c.is_identity === "YES",
    });
  }
  // "CHECK ((kind = ANY (ARRAY['police'::text, …])))": a column limited to a list of values.
  for (const { table_name, definition } of checks.rows) {
    const match = definition.match(/^CHECK \(\((\w+) = ANY \(ARRAY\[(.*)\]\)\)\)$/);
    const column = match && tables.get(table_name)?.get(match[1]!);
    if (column) column.values = [...match[2]!.matchAll(/'([^']*)'/g)].map((m) => m[1]!).sort();
  }
  return tables;
}

let database: DatabaseHandle;
beforeAll(async () => {
  database = await testDatabase();
});

describe(`db/schema.ts against the migrated database (${engine})`, () => {
  it("has the same tables and columns, with the same types, nullability, defaults and allowed values", async () => {
    const declared = declaredSchema();
    const migrated = await migratedSchema(database);
    expect([...declared.keys()].sort()).toEqual([...migrated.keys()].sort());
    const differences: string[] = [];
    for (const [table, columns] of migrated) {
      const types = declared.get(table)!;
      expect([...types.keys()].sort(), table).toEqual([...columns.keys()].sort());
      for (const [name, actual] of columns) {
        const expected = types.get(name)!;
        const at = `${table}.${name}`;
        if (expected.kind !== actual.kind)
          differences.push(`${at}: schema.ts ${expected.kind}, database ${actual.kind}`);
        if (expected.nullable !== actual.nullable)
          differences.push(`${at}: schema.ts ${expected.nullable ? "" : "not "}nullable, database the opposite`);
        if (expected.generated && !actual.generated)
          differences.push(`${at}: Generated in schema.ts, no default in the database`);
        if (JSON.stringify(expected.values) !== JSON.stringify(actual.values))
          differences.push(`${at}: schema.ts allows ${expected.values ?? "any"}, database ${actual.values ?? "any"}`);
      }
    }
    expect(differences).toEqual([]);
  });

  it("would notice a difference (the comparison is not vacuous)", async () => {
    const migrated = await migratedSchema(database);
    expect(migrated.get("users")!.get("profession")!.values).toContain("police");
    expect(migrated.get("agencies")!.get("kind")!.values!.length).toBeGreaterThan(3);
    expect(declaredSchema().get("completion_records")!.get("seq")).toMatchObject({ kind: "number", generated: true });
  });
});
