// A copy of the sample content in a temporary folder, to be broken one way at a time.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { disposeAfterFile } from "./cleanup";
import { runDir } from "./engine";

export const SAMPLE = path.resolve(import.meta.dirname, "../fixtures/content");

export function sampleCopy() {
  const dir = mkdtempSync(path.join(runDir(), "content-"));
  cpSync(SAMPLE, dir, { recursive: true });
  disposeAfterFile(`content folder ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    /** Rewrites one file with a text replacement; fails loudly when the text is not there. */
    edit(file: string, from: string | RegExp, to: string) {
      const full = path.join(dir, file);
      const before = readFileSync(full, "utf8");
      const after = before.replace(from, to);
      if (after === before) throw new Error(`fixture edit found nothing to change in ${file}`);
      writeFileSync(full, after);
    },
    write(file: string, text: string) {
      writeFileSync(path.join(dir, file), text);
    },
    remove(file: string) {
      rmSync(path.join(dir, file), { recursive: true });
    },
  };
}
