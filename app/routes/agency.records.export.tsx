// The records list as a file: CSV, or xAPI statements as JSON lines; the list's filters applied, the
// page's cursor not (the file holds every matching record). Streamed batch by batch.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { scopeFor } from "~/server/auth/scope.server";
import { resolveLocale } from "~/server/http/locale.server";
import { forbidden, invalid, requireActor, spendRequestAllowance } from "~/server/http/guards.server";
import { downloadHeaders, refusalAsPage } from "~/server/review/downloads.server";
import { recordsCsv, recordsXapi } from "~/server/review/exports.server";
import { queryObject, RecordQuery } from "~/server/review/filters.server";

const Format = z.enum(["csv", "xapi"]);

export async function loader({ request, context }: LoaderFunctionArgs) {
  const locale = resolveLocale(request, context.user?.locale);
  try {
    const actor = await requireActor(context, request);
    const scope = scopeFor(actor, "records.view");
    if (scope.kind === "none") forbidden();
    const raw = queryObject(new URL(request.url));
    if (!raw) throw invalid({ _form: "errors.invalid" });
    const { format: rawFormat, after: _page, ...query } = raw;
    const format = Format.safeParse(rawFormat ?? "csv");
    const parsed = RecordQuery.safeParse(query);
    if (!format.success || !parsed.success) throw invalid({ _form: "errors.invalid" });
    const filter = { ...parsed.data, agency: scope.kind === "all" ? parsed.data.agency : undefined };
    await spendRequestAllowance(context, "exports");
    const input = {
      db: context.app.db,
      actorId: actor.id,
      agencyId: filter.agency ?? (scope.kind === "all" ? null : scope.agencyId),
      scope,
      filter,
      locale,
      publicUrl: context.app.config.publicUrl,
    };
    return format.data === "csv"
      ? new Response(recordsCsv(input), { headers: downloadHeaders("records", "csv") })
      : new Response(recordsXapi(input), { headers: downloadHeaders("xapi", "jsonl") });
  } catch (error) {
    return refusalAsPage(error, locale);
  }
}
