import { describe, expect, it } from "vitest";
import { citedSources, renderLesson } from "../../app/server/catalog/render-markdown.server";

const render = (md: string) => renderLesson(md, { moduleSlug: "victim-not-offender" });

describe("lesson rendering", () => {
  it("drops the title heading, which the page shows from module.yaml", () => {
    const html = render("# Who is a victim?\n\n## Why it matters\n\nText.");
    expect(html).not.toContain("<h1");
    expect(html).toContain("<h2>Why it matters</h2>");
  });

  it("never passes raw HTML through", () => {
    const html = render('# T\n\n<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">');
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;script&gt;");
  });

  it("refuses javascript: and data: links", () => {
    const html = render("# T\n\n[click](javascript:alert(1)) and [data](data:text/html,hi)");
    expect(html).not.toMatch(/href="(javascript|data):/);
  });

  it("resolves links to other lessons and to the module's sources", () => {
    const html = render("# T\n\nSee [the next lesson](lesson:02-consent) and [OPSC art. 2](source:opsc).");
    expect(html).toContain('<a href="/learn/victim-not-offender/lessons/02-consent">the next lesson</a>');
    expect(html).toContain('<a href="#source-opsc" class="cite">OPSC art. 2</a>');
  });

  it("finds the sources a lesson cites, in the module's order, once each", () => {
    const source = (id: string) => ({ id, title: id.toUpperCase(), year: 2000, detail: "" });
    const html = render(
      "# T\n\n[a](source:opsc), [b](source:report) and [again](source:opsc); not [this](https://example.org/#source-crc).",
    );
    expect(citedSources(html, [source("crc"), source("report"), source("opsc")]).map((s) => s.id)).toEqual([
      "report",
      "opsc",
    ]);
    expect(citedSources(render("# T\n\nNo citation."), [source("crc")])).toEqual([]);
  });

  it("keeps external links but stops them from reaching back into the page", () => {
    expect(render("# T\n\n[UN](https://www.un.org/)")).toContain(
      '<a href="https://www.un.org/" rel="noopener noreferrer">UN</a>',
    );
  });

  it("renders Japanese text unchanged", () => {
    expect(render("# 題\n\n子どもは**被害者**です。")).toContain("<p>子どもは<strong>被害者</strong>です。</p>");
  });
});
