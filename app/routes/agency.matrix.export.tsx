// The training matrix as a CSV file: the page's filters applied, its cursor not (the file holds
// every matching person). Streamed batch by batch, audited at the start and the end.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { scopeFor } from "~/server/auth/scope.server";
import { forbidden, invalid, requireActor, spendRequestAllowance } from "~/server/http/guards.server";
import { resolveLocale } from "~/server/http/locale.server";
import { downloadHeaders, refusalAsPage } from "~/server/review/downloads.server";
import { MatrixQuery, queryObject } from "~/server/review/filters.server";
import { matrixCsv } from "~/server/review/matrix-export.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const locale = resolveLocale(request, context.user?.locale);
  try {
    const actor = await requireActor(context, request);
    const scope = scopeFor(actor, "records.view");
    if (scope.kind === "none") forbidden();
    const raw = queryObject(new URL(request.url));
    if (!raw) throw invalid({ _form: "errors.invalid" });
    const parsed = MatrixQuery.safeParse(raw);
    if (!parsed.success) throw invalid({ _form: "errors.invalid" });
    // A link from the second page still carries a (valid) cursor: the file starts from the first person.
    const { after: _page, ...rest } = parsed.data;
    const filter = { ...rest, agency: scope.kind === "all" ? rest.agency : undefined };
    await spendRequestAllowance(context, "exports");
    const stream = matrixCsv({
      db: context.app.db,
      actorId: actor.id,
      agencyId: filter.agency ?? (scope.kind === "all" ? null : scope.agencyId),
      scope,
      filter,
      locale,
    });
    return new Response(stream, { headers: downloadHeaders("matrix", "csv") });
  } catch (error) {
    return refusalAsPage(error, locale);
  }
}
