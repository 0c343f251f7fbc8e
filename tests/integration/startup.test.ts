// The platform as `npm start` runs it, with broken course content: it starts anyway, on the last
// good content (none yet here), says why in the log, and shows admins the failed sync.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engine } from "../support/engine";
import { sampleCopy } from "../support/content-fixture";
import { startPlatform, type PlatformProcess } from "../support/process";

let platform: PlatformProcess;

beforeAll(async () => {
  const copy = sampleCopy();
  copy.edit("catalog.yaml", "modules: [sample-module]", "modules: [sample-module, ghost]");
  platform = await startPlatform({ MODULES_DIR: copy.dir });
});

afterAll(async () => {
  await platform.stop();
});

describe(`start-up with broken content (${engine})`, () => {
  it("serves requests and logs which file and field are wrong", async () => {
    expect((await fetch(`${platform.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${platform.url}/courses`)).status).toBe(200);
    const line = platform
      .output()
      .split("\n")
      .find((l) => l.includes("content not synced"));
    expect(line).toBeDefined();
    expect(JSON.parse(line!).problems).toEqual([
      "catalog.yaml [0].modules[1]: unknown module ghost in course sample-course",
    ]);
  });
});
