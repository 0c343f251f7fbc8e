// Progress of a long command (verifying a million records, generating data): on a terminal one line
// redrawn in place with the rate and an estimate of the time left; in a log (CI, a pipe) a plain line
// every `everyMs`, so that the log shows life without drowning in it.

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean | undefined;
}

export interface ProgressOptions {
  label: string;
  /** The amount of work, when known: gives the percentage and the time left. */
  total?: number | undefined;
  stream?: ProgressStream;
  /** Defaults to the stream's own `isTTY`. */
  tty?: boolean | undefined;
  /** How often a plain line is written (not on a terminal). */
  everyMs?: number;
  now?: () => number;
}

export interface ProgressReporter {
  update(done: number): void;
  /** Writes the final line (and ends the redrawn one on a terminal). */
  finish(done: number, note?: string): void;
}

const number = new Intl.NumberFormat("en-US");

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function createProgress(options: ProgressOptions): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean(stream.isTTY);
  const now = options.now ?? (() => performance.now());
  const everyMs = options.everyMs ?? 10_000;
  const started = now();
  let lastWrite = started;
  let width = 0;

  const line = (done: number) => {
    const elapsed = now() - started;
    const rate = elapsed > 0 ? (done * 1000) / elapsed : 0;
    const parts = [`${options.label}: ${number.format(done)}`];
    if (options.total !== undefined) {
      parts[0] += ` of ${number.format(options.total)}`;
      if (options.total > 0) parts.push(`${Math.floor((done / options.total) * 100)}%`);
    }
    parts.push(`${number.format(Math.round(rate))}/s`);
    if (options.total !== undefined && rate > 0 && done < options.total)
      parts.push(`about ${formatDuration(((options.total - done) / rate) * 1000)} left`);
    else parts.push(`${formatDuration(elapsed)} elapsed`);
    return parts.join(", ");
  };

  return {
    update(done) {
      const t = now();
      if (tty) {
        if (t - lastWrite < 100) return;
        const text = line(done);
        stream.write(`\r${text.padEnd(width)}`);
        width = text.length;
      } else {
        if (t - lastWrite < everyMs) return;
        stream.write(`${line(done)}\n`);
      }
      lastWrite = t;
    },
    finish(done, note) {
      const text = `${line(done)}${note ? ` — ${note}` : ""}`;
      stream.write(tty ? `\r${text.padEnd(width)}\n` : `${text}\n`);
    },
  };
}
