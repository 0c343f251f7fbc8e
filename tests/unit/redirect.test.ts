import { describe, expect, it } from "vitest";
import { safeRedirectPath } from "../../app/server/http/redirect.server";

const PUBLIC = "https://mamoru.example.jp";
const go = (value: unknown) => safeRedirectPath(value, PUBLIC);

describe("the way back after a form", () => {
  it("keeps a path on this site, query and fragment included", () => {
    expect(go("/account")).toBe("/account");
    expect(go("/admin/users?q=tanaka&page=2#list")).toBe("/admin/users?q=tanaka&page=2#list");
    expect(go("/sign-in?next=%2Faccount")).toBe("/sign-in?next=%2Faccount");
  });

  it("never leads to another site, however the address is disguised", () => {
    for (const evil of [
      "//evil.example",
      "//evil.example/x",
      "/\t/evil.example", // browsers drop TAB, CR and LF inside URLs
      "/\r/evil.example",
      "/\n/evil.example",
      "/\r\n/evil.example",
      "\t//evil.example",
      " //evil.example",
      "/\u0000/evil.example",
      "/\\evil.example", // a backslash reads as a slash
      "\\\\evil.example",
      "/\\/evil.example",
      "\\/evil.example",
      "/./\\evil.example",
      "/.//evil.example", // resolves to the path //evil.example
      "/..//evil.example",
      "%2F%2Fevil.example",
      "%2f%2fevil.example",
      "%5C%5Cevil.example",
      "https://evil.example/",
      "http:evil.example",
      "https:/evil.example",
      "javascript:alert(1)",
      "JaVaScRiPt:alert(1)",
      " javascript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "evil.example",
      "",
      "/" + "a".repeat(2001),
    ]) {
      expect(go(evil), JSON.stringify(evil)).toBe("/");
    }
  });

  it("keeps encoded slashes and backslashes inside a path as the path they are", () => {
    expect(go("/%2F%2Fevil.example")).toBe("/%2F%2Fevil.example");
    expect(go("/%5Cevil.example")).toBe("/%5Cevil.example");
    expect(go("/%09/evil.example")).toBe("/%09/evil.example");
  });

  it("returns a value that is always a valid Location header: non-ASCII is percent-encoded", () => {
    expect(go("/検索?q=田中#上")).toBe("/%E6%A4%9C%E7%B4%A2?q=%E7%94%B0%E4%B8%AD#%E4%B8%8A");
    expect(go("/\u2028x")).toBe("/%E2%80%A8x");
    expect(go("/\ud800")).toBe("/%EF%BF%BD");
    for (const header of ["/a\r\nSet-Cookie: x=1", "/a\u0000b", "/a\u0085b", "/a\u00a0b"]) {
      const target = go(header);
      expect(() => new Headers({ Location: target }), JSON.stringify(header)).not.toThrow();
      expect(target).toMatch(/^\/[\x21-\x7e]*$/);
    }
  });

  it("takes the fallback for anything but a string", () => {
    expect(go(undefined)).toBe("/");
    expect(go(["/account", "//evil.example"])).toBe("/");
    expect(go({ toString: () => "/account" })).toBe("/");
    expect(safeRedirectPath("//evil.example", PUBLIC, "/sign-in")).toBe("/sign-in");
  });
});
