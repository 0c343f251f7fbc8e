import { describe, expect, it } from "vitest";
import { createLogger } from "../../app/server/shared/log.server";
import { createBackgroundTasks } from "../../app/server/shared/tasks.server";

describe("background tasks", () => {
  it("start at once, run after the caller goes on, and are waited for by settled()", async () => {
    const tasks = createBackgroundTasks(createLogger("silent"));
    const done: number[] = [];
    await tasks.run("a", async () => {
      await new Promise((r) => setTimeout(r, 20));
      done.push(1);
    });
    expect(done).toEqual([]);
    await tasks.settled();
    expect(done).toEqual([1]);
  });

  it("run at most `limit` at once: the next caller waits for a slot, not for the work", async () => {
    const tasks = createBackgroundTasks(createLogger("silent"), 2);
    const gates: (() => void)[] = [];
    const work = () => new Promise<void>((resolve) => gates.push(resolve));
    await tasks.run("1", work);
    await tasks.run("2", work);
    let thirdStarted = false;
    const third = tasks.run("3", work).then(() => (thirdStarted = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(thirdStarted).toBe(false);
    expect(gates).toHaveLength(2);
    gates[0]!();
    await third;
    expect(gates).toHaveLength(3);
    let settled = false;
    const all = tasks.settled().then(() => (settled = true));
    gates[1]!();
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    gates[2]!();
    await all;
  });

  it("log a failure instead of throwing it at anyone", async () => {
    const lines: string[] = [];
    const tasks = createBackgroundTasks(createLogger("info", {}, (l) => lines.push(l)));
    await tasks.run("boom", async () => {
      throw new Error("smtp down");
    });
    await tasks.settled();
    expect(lines.map((l) => JSON.parse(l))).toContainEqual(
      expect.objectContaining({ level: "error", msg: "background task failed", task: "boom" }),
    );
  });
});
