// The certificate PDF: for its holder, and for those allowed to see the holder's records.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { can } from "~/server/auth/policy.server";
import { notFound, requireActor } from "~/server/http/guards.server";
import { certificatePdf } from "~/server/learning/certificate-pdf.server";
import { certificateDetails } from "~/server/learning/certificates.server";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  const found = (await certificateDetails(context.app.db, (params.code ?? "").toUpperCase())) ?? notFound();
  // Someone else's certificate is as absent as an unknown one.
  if (found.userId !== actor.id && !can(actor, "records.view", { agencyId: found.agencyId, groupIds: found.groupIds }))
    notFound();
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
