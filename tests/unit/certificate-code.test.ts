// A certificate's code as its holder or a reader types it from paper.
import { describe, expect, it } from "vitest";
import { normaliseCertificateCode } from "../../app/server/learning/certificates.server";

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
});
