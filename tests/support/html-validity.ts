// HTML validity beside axe-core: every document a browser test loads is checked by html-validate
// against the HTML standard (html-validate:standard and the whole-document rules), as the server
// sent it, before any script ran.
import { HtmlValidate } from "html-validate";
import type { BrowserContext } from "playwright-core";

const validator = new HtmlValidate({
  extends: ["html-validate:standard", "html-validate:document"],
  rules: {
    // Subresource integrity guards files from another origin (a CDN); every asset here is our own.
    "require-sri": "off",
  },
});

/** The problems of one document, as "line:column rule: message" lines. */
export async function htmlProblems(html: string): Promise<string[]> {
  const report = await validator.validateString(html);
  return report.results.flatMap((r) =>
    r.messages.map((m) => `${m.line}:${m.column} ${m.ruleId}: ${m.message}${m.selector ? ` (${m.selector})` : ""}`),
  );
}

export interface HtmlWatch {
  /** Waits for every document loaded so far to be checked; returns the problems, and forgets them. */
  take(): Promise<string[]>;
}

const watches = new WeakMap<BrowserContext, HtmlWatch>();

/** Checks every HTML document the context loads (redirects have no body and are skipped). */
export function watchHtml(context: BrowserContext): HtmlWatch {
  const pending = new Set<Promise<void>>();
  let problems: string[] = [];
  context.on("response", (response) => {
    if (response.request().resourceType() !== "document") return;
    if (response.status() >= 300 && response.status() < 400) return;
    if (!(response.headers()["content-type"] ?? "").startsWith("text/html")) return;
    const check = response
      .text()
      .then(htmlProblems)
      .then((found) => {
        problems.push(...found.map((p) => `${response.url()} ${p}`));
      })
      .catch(() => {
        // The page was navigated away from before its body was read: nothing to check.
      })
      .finally(() => pending.delete(check));
    pending.add(check);
  });
  const watch: HtmlWatch = {
    async take() {
      while (pending.size) await Promise.all([...pending]);
      const found = problems;
      problems = [];
      return found;
    },
  };
  watches.set(context, watch);
  return watch;
}

export function htmlWatchOf(context: BrowserContext): HtmlWatch | undefined {
  return watches.get(context);
}
