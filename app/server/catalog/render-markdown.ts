// Lesson Markdown to HTML, once, at sync. Raw HTML in the source is never passed through (it is
// escaped), links may only go to this site or to http(s) addresses, and the course's own link
// kinds are resolved: `lesson:<id>` to the lesson's page, `source:<id>` to the lesson's source list.
import MarkdownIt from "markdown-it";

const md = new MarkdownIt({ html: false, linkify: false, typographer: false });

const SAFE_URL = /^(https?:|mailto:|\/|#|lesson:|source:)/i;
md.validateLink = (url) => SAFE_URL.test(url.trim());

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
        child.attrSet("href", `/modules/${target.moduleSlug}/lessons/${encodeURIComponent(href.slice(7))}`);
      } else if (href.startsWith("source:")) {
        child.attrSet("href", `#source-${encodeURIComponent(href.slice(7))}`);
        child.attrSet("class", "cite");
      } else if (/^https?:/i.test(href)) {
        child.attrSet("rel", "noopener noreferrer");
      }
    }
  }
  return md.renderer.render(tokens, md.options, {});
}
