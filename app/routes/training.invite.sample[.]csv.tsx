// The sample file offered on the bulk invitation page: the four columns, two example rows, UTF-8
// with a BOM so that Excel opens it as UTF-8.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { forbidden, requireActor } from "~/server/http/guards.server";
import { resolveLocale } from "~/server/http/locale.server";
import { mayImport } from "~/server/invitations/bulk-import.server";
import { sampleCsv } from "~/server/invitations/csv-file.server";
import { refusalAsPage } from "~/server/review/downloads.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const locale = resolveLocale(request, context.user?.locale);
  try {
    const actor = await requireActor(context, request);
    if (!mayImport(actor)) forbidden();
    return new Response(sampleCsv(locale), {
      headers: {
        "Content-Type": "text/csv; charset=utf-8; header=present",
        "Content-Disposition": `attachment; filename="mamoru-invitations-sample.csv"`,
        "Cache-Control": "private, no-store",
      },
    });
  } catch (error) {
    return refusalAsPage(error, locale);
  }
}
