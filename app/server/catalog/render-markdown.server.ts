// Lesson Markdown to HTML, once, at sync. Raw HTML in the source is never passed through (it is
// escaped), links may only go to this site or to http(s) addresses, and the course's own link
// kinds are resolved: `lesson:<id>` to the lesson's page, `source:<id>` to the lesson's source list.
import type { ContentSource } from "../../../db/schema";
import MarkdownIt from "markdown-it";

const md = new MarkdownIt({ html: false, linkify: false, typographer: false });

const SAFE_URL = /^(https?:|mailto:|\/|#|lesson:|source:)/i;
md.validateLink = (url) => SAFE_URL.test(url.trim());

const SOURCE_ANCHOR = "#source-";
const CITATION = new RegExp(`href="${SOURCE_ANCHOR}([^"]+)"`, "g");

export interface RenderTarget {
  moduleSlug: string;
}

export function renderLesson(markdown: string, target: RenderTarget): string {
  const tokens = md.parse(markdown, {});
  // The first heading is the lesson's title, which the page shows from module.yaml.
  if (tokens[0]?.type === "heading_open" && tokens[0].tag === "h1") tokens.splice(0, 3);
  for (const token of tokens) {
    for (const child of token.children ?? []) {
      if (child.type !== "link_open") continue;
      const href = String(child.attrGet("href") ?? "");
      if (href.startsWith("lesson:")) {
        child.attrSet("href", `/learn/${target.moduleSlug}/lessons/${encodeURIComponent(href.slice(7))}`);
      } else if (href.startsWith("source:")) {
        child.attrSet("href", `${SOURCE_ANCHOR}${encodeURIComponent(href.slice(7))}`);
        child.attrSet("class", "cite");
      } else if (/^https?:/i.test(href)) {
        child.attrSet("rel", "noopener noreferrer");
      }
    }
  }
  return md.renderer.render(tokens, md.options, {});
}

/** The sources a rendered lesson cites, in the module's order: the list its citations link to. */
export function citedSources(html: string, sources: ContentSource[]): ContentSource[] {
  const cited = new Set<string>();
  for (const m of html.matchAll(CITATION)) cited.add(decodeURIComponent(m[1]!));
  return sources.filter((s) => cited.has(s.id));
}
