// Long commands show progress: redrawn in place with an estimate of the time left on a terminal,
// a plain line now and then in a log (CI), never one per batch.
import { describe, expect, it } from "vitest";
import { createProgress, formatDuration } from "../../app/server/shared/progress.server";

function fake(tty: boolean) {
  const out: string[] = [];
  let t = 0;
  return {
    out,
    advance: (ms: number) => (t += ms),
    options: { stream: { write: (s: string) => out.push(s), isTTY: tty }, now: () => t },
  };
}

describe("progress", () => {
  it("on a terminal, redraws one line with the rate and the time left", () => {
    const f = fake(true);
    const p = createProgress({ label: "Verifying completion records", total: 1_000_000, ...f.options });
    f.advance(2_000);
    p.update(100_000);
    expect(f.out.at(-1)).toBe("\rVerifying completion records: 100,000 of 1,000,000, 10%, 50,000/s, about 18 s left");
    f.advance(50); // too soon to redraw
    p.update(101_000);
    expect(f.out).toHaveLength(1);
    f.advance(16_000);
    p.finish(1_000_000, "intact");
    expect(f.out.at(-1)).toMatch(
      /^\rVerifying completion records: 1,000,000 of 1,000,000, 100%, .*18 s elapsed — intact\n$/,
    );
  });

  it("in a log, writes a plain line every ten seconds, whatever the number of batches", () => {
    const f = fake(false);
    const p = createProgress({ label: "Verifying audit events", total: 500_000, ...f.options });
    for (let i = 1; i <= 300; i++) {
      f.advance(100); // a batch every 100 ms for 30 s
      p.update(i * 1_000);
    }
    expect(f.out).toHaveLength(3);
    expect(f.out[0]).toBe("Verifying audit events: 100,000 of 500,000, 20%, 10,000/s, about 40 s left\n");
    expect(f.out.every((line) => !line.includes("\r"))).toBe(true);
  });

  it("reads durations as people do", () => {
    expect(formatDuration(42_000)).toBe("42 s");
    expect(formatDuration(125_000)).toBe("2 min 5 s");
    expect(formatDuration(3 * 3_600_000 + 7 * 60_000)).toBe("3 h 7 min");
  });
});
