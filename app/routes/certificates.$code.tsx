// The certificate PDF: for its holder, and for those allowed to see the holder's records.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { can } from "~/server/auth/policy.server";
import { requireActor, spendRequestAllowance } from "~/server/http/guards.server";
import { resolveLocale } from "~/server/http/locale.server";
import { plainPage } from "~/server/http/plain-page.server";
import { certificatePdf } from "~/server/learning/certificate-pdf.server";
import { certificateDetails } from "~/server/learning/certificates.server";
import { refusalAsPage } from "~/server/review/downloads.server";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  const found = await certificateDetails(context.app.db, (params.code ?? "").toUpperCase());
  // Someone else's certificate is as absent as an unknown one. A resource route gets no error
  // page from Remix (a thrown error reads "Unexpected Server Error"), so it answers its own.
  if (
    !found ||
    (found.userId !== actor.id && !can(actor, "records.view", { agencyId: found.agencyId, groupIds: found.groupIds }))
  ) {
    return new Response(plainPage(resolveLocale(request, actor.user.locale), "notFound", 404), {
      status: 404,
      headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" },
    });
  }
  // Rendering is the costly part: counted only for a certificate the reader may see (LIMITS.certificatePdfs).
  try {
    await spendRequestAllowance(context, "certificatePdfs");
  } catch (error) {
    return refusalAsPage(error, resolveLocale(request, actor.user.locale));
  }
  const pdf = await certificatePdf({
    ...found.data,
    verifyUrl: `${context.app.config.publicUrl}/verify/${found.data.code}`,
  });
  return new Response(new Uint8Array(pdf), {
    headers: {
      "Content-Type": "application/pdf",
      "Content-Disposition": `inline; filename="mamoru-certificate-${found.data.code}.pdf"`,
      "Cache-Control": "private, no-store",
    },
  });
}
