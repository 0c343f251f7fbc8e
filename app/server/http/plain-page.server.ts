// The pages the Express layer answers by itself, before a request reaches Remix (an address that
// cannot be decoded, a body too large to read), and the refusals of resource routes (a PDF),
// which Remix cannot answer with its error page: short, in the reader's language, no scripts.
import { formatMessageParams, translate, type Locale, type MessageParams } from "../../i18n";

export type PlainPageKind = "badRequest" | "tooLarge" | "methodNotAllowed" | "forbidden" | "notFound" | "tooMany";

/** The page; `detail` adds one of our own messages (which limit, until when) below the body. */
export function plainPage(
  locale: Locale,
  kind: PlainPageKind,
  status: number,
  detail?: { messageKey: string; params?: MessageParams | undefined },
): string {
  const t = (key: string) => translate(locale, key);
  const more = detail
    ? `<p>${escapeHtml(translate(locale, detail.messageKey, formatMessageParams(locale, detail.params)))}</p>`
    : "";
  return `<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${status} — ${t(`errorPage.${kind}.title`)} — ${t("app.name")}</title></head>
<body><main>
<p>${status}</p><h1>${t(`errorPage.${kind}.title`)}</h1><p>${t(`errorPage.${kind}.body`)}</p>${more}
<p><a href="/">${t("errorPage.home")}</a></p>
</main></body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
