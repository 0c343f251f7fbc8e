// The certificate as an A4 PDF: the name as the person wrote it (Japanese or Latin script, in the
// Noto Sans JP font that ships with the project's npm packages, embedded, never fetched), the
// course, its modules with their versions, the dates, the expiry, the code and a QR code to the
// public verification page. Labels are in Japanese and English, so the paper serves either reader.
import { createRequire } from "node:module";
import PDFDocument from "pdfkit";
import QRCode from "qrcode";
import type { LocalisedText } from "../../../db/schema";

const require = createRequire(import.meta.url);
const FONT_REGULAR = require.resolve("@expo-google-fonts/noto-sans-jp/400Regular/NotoSansJP_400Regular.ttf");
const FONT_BOLD = require.resolve("@expo-google-fonts/noto-sans-jp/700Bold/NotoSansJP_700Bold.ttf");

export interface CertificateData {
  name: string;
  /** The holder's agency at issue. */
  agency: string;
  course: LocalisedText;
  modules: { title: LocalisedText; version: number; completedAt: Date }[];
  completedAt: Date;
  expiresAt: Date;
  code: string;
  verifyUrl: string;
}

const jaDate = (d: Date) => new Intl.DateTimeFormat("ja-JP", { dateStyle: "long", timeZone: "Asia/Tokyo" }).format(d);
const enDate = (d: Date) => new Intl.DateTimeFormat("en-GB", { dateStyle: "long", timeZone: "Asia/Tokyo" }).format(d);
const both = (d: Date) => `${jaDate(d)} / ${enDate(d)}`;

export async function certificatePdf(data: CertificateData): Promise<Buffer> {
  const qr = await QRCode.toBuffer(data.verifyUrl, { errorCorrectionLevel: "M", margin: 1, width: 360 });
  const doc = new PDFDocument({
    size: "A4",
    margins: { top: 56, bottom: 56, left: 64, right: 64 },
    info: { Title: `Certificate ${data.code}`, Author: "Mamoru", Subject: data.course.en },
  });
  doc.registerFont("regular", FONT_REGULAR);
  doc.registerFont("bold", FONT_BOLD);
  const chunks: Buffer[] = [];
  doc.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on("end", () => resolve(Buffer.concat(chunks))));

  const width = doc.page.width - 128;
  const brand = "#1d5c63";
  doc
    .rect(32, 32, doc.page.width - 64, doc.page.height - 64)
    .lineWidth(2)
    .strokeColor(brand)
    .stroke();

  doc.font("bold").fontSize(26).fillColor(brand).text("修了証", { align: "center", width });
  doc.font("regular").fontSize(14).text("Certificate of completion", { align: "center", width });
  doc.moveDown(1.5);
  doc.fillColor("#1f2933").fontSize(11).text("氏名 / Name", { align: "center", width });
  doc.font("bold").fontSize(24).text(data.name, { align: "center", width });
  doc.moveDown(0.4);
  doc.font("regular").fontSize(11).text("所属機関 / Agency", { align: "center", width });
  doc.font("bold").fontSize(14).text(data.agency, { align: "center", width });
  doc.moveDown(0.8);
  doc.font("regular").fontSize(11).text("コース / Course", { align: "center", width });
  doc
    .font("bold")
    .fontSize(16)
    .text(data.course.ja ?? data.course.en, { align: "center", width });
  if (data.course.ja) doc.font("regular").fontSize(12).text(data.course.en, { align: "center", width });
  doc.moveDown(1);

  doc.font("bold").fontSize(11).text("修了したモジュール / Modules completed", { width });
  doc.moveDown(0.3);
  // Two columns: the title may wrap in its own; version and date sit in a column wide enough
  // that they never do, so a date is never split across lines (「2026年4月」 / 「1日」).
  const left = doc.page.margins.left;
  const dateWidth = 150;
  const titleWidth = width - dateWidth - 12;
  for (const m of data.modules) {
    const y = doc.y;
    doc
      .font("regular")
      .fontSize(10)
      .text(`• ${m.title.ja ?? m.title.en}${m.title.ja ? ` (${m.title.en})` : ""}`, left, y, { width: titleWidth });
    const after = doc.y;
    doc.text(`第${m.version}版 (v${m.version}) · ${jaDate(m.completedAt)}`, left + width - dateWidth, y, {
      width: dateWidth,
      align: "right",
      lineBreak: false,
    });
    doc.x = left;
    doc.y = Math.max(after, doc.y) + 2;
  }
  doc.moveDown(1);
  doc.font("regular").fontSize(11);
  doc.text(`修了日 / Completed: ${both(data.completedAt)}`, { width });
  doc.text(`有効期限 / Valid until: ${both(data.expiresAt)}`, { width });
  doc.moveDown(0.8);
  doc.font("bold").text(`確認コード / Verification code: ${data.code}`, { width });
  doc.font("regular").fontSize(9).fillColor("#4a5663").text(data.verifyUrl, { width, link: data.verifyUrl });

  const size = 120;
  doc.image(qr, doc.page.width - 64 - size, doc.page.height - 64 - size - 24, { width: size, height: size });
  doc
    .fontSize(8)
    .text(
      "このQRコードで真正性を確認できます / Scan to verify",
      doc.page.width - 64 - size - 40,
      doc.page.height - 64 - 20,
      { width: size + 40, align: "center" },
    );
  doc.end();
  return done;
}
