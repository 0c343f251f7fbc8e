// The audit trail as CSV, the viewer's filters applied (not its page cursor), streamed batch by batch.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { scopeFor } from "~/server/auth/scope.server";
import { resolveLocale } from "~/server/http/locale.server";
import { forbidden, invalid, requireActor, spendRequestAllowance } from "~/server/http/guards.server";
import { downloadHeaders, refusalAsPage } from "~/server/review/downloads.server";
import { auditCsv } from "~/server/review/exports.server";
import { AuditQuery, queryObject } from "~/server/review/filters.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const locale = resolveLocale(request, context.user?.locale);
  try {
    const actor = await requireActor(context, request);
    const scope = scopeFor(actor, "audit.view");
    if (scope.kind !== "all" && scope.kind !== "agency") forbidden();
    const raw = queryObject(new URL(request.url));
    const parsed = raw ? AuditQuery.safeParse(raw) : null;
    if (!parsed?.success) throw invalid({ _form: "errors.invalid" });
    const filter = { ...parsed.data, agency: scope.kind === "all" ? parsed.data.agency : undefined };
    await spendRequestAllowance(context, "exports");
    const stream = auditCsv({
      db: context.app.db,
      actorId: actor.id,
      agencyId: filter.agency ?? (scope.kind === "agency" ? scope.agencyId : null),
      scope,
      filter,
      locale,
    });
    return new Response(stream, { headers: downloadHeaders("audit", "csv") });
  } catch (error) {
    return refusalAsPage(error, locale);
  }
}
