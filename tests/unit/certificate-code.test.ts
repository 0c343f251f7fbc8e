// A certificate's code as its holder or a reader types it from paper, and as it is made.
import { describe, expect, it } from "vitest";
import { normaliseCertificateCode, CERTIFICATE_CODE } from "../../app/server/learning/certificates.server";
import { newCertificateCode } from "../../app/server/learning/completions.server";

describe("certificate codes typed from paper", () => {
  it("are read in any case, with or without dashes or spaces, full-width too, O as 0 and I or L as 1", () => {
    expect(normaliseCertificateCode("abcd-efgh-jkmn")).toBe("ABCD-EFGH-JKMN");
    expect(normaliseCertificateCode(" ABCD EFGH JKMN ")).toBe("ABCD-EFGH-JKMN");
    expect(normaliseCertificateCode("ＡＢＣＤ－ＥＦＧＨ－ＪＫＭＮ")).toBe("ABCD-EFGH-JKMN");
    expect(normaliseCertificateCode("O1IL-2345-6789")).toBe("0111-2345-6789");
    expect(normaliseCertificateCode("ABCD-EFGH-JKMU")).toBeNull(); // U is not in the alphabet
    expect(normaliseCertificateCode("ABCD-EFGH")).toBeNull();
    expect(normaliseCertificateCode("")).toBeNull();
  });

  it("take the long codes too, grouped by four however they were typed, and nothing between the two lengths", () => {
    const typed = "abcdefghjkmnpqrstvwxyz012345";
    expect(normaliseCertificateCode(typed)).toBe("ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345");
    expect(normaliseCertificateCode("abcd efgh-jkmn pqrs–tvwx yz01 2345")).toBe("ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345");
    expect(normaliseCertificateCode(typed.slice(0, 20))).toBeNull();
    expect(normaliseCertificateCode(typed + "6")).toBeNull();
  });
});

describe("new certificate codes", () => {
  it("carry at least 128 bits: 28 characters of a 32-letter alphabet, in seven groups of four", () => {
    const codes = Array.from({ length: 200 }, newCertificateCode);
    for (const code of codes) {
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){6}$/);
      expect(CERTIFICATE_CODE.test(code)).toBe(true);
      expect(normaliseCertificateCode(code.toLowerCase())).toBe(code);
    }
    expect(28 * Math.log2(32)).toBeGreaterThanOrEqual(128);
    expect(new Set(codes).size).toBe(codes.length);
    // Every letter of the alphabet turns up, in every position's group: no position is fixed.
    expect(new Set(codes.join("").replace(/-/g, ""))).toHaveProperty("size", 32);
  });
});
