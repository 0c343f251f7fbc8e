import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useFormat, useT } from "~/components/i18n";
import { L } from "~/components/localised";
import { pageTitle } from "~/components/page-title";
import { spendRequestAllowance, throwIfThrottled } from "~/server/http/guards.server";
import { verifyCertificate } from "~/server/learning/certificates.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "verify.title");

export async function loader({ params, context }: LoaderFunctionArgs) {
  // Every look-up counts, per person or else per client address (LIMITS.verifyLookups): guessing
  // codes is slow on top of hopeless.
  try {
    await spendRequestAllowance(context, "verifyLookups");
  } catch (error) {
    throwIfThrottled(error);
    throw error;
  }
  const code = (params.code ?? "").toUpperCase();
  const found = await verifyCertificate(context.app.db, code);
  // An unknown code says only that: nothing about whether similar codes exist.
  return data(
    { code, found },
    { status: found ? 200 : 404, headers: { "Cache-Control": "no-store", "X-Robots-Tag": "noindex" } },
  );
}

export default function Verify() {
  const t = useT();
  const format = useFormat();
  const { code, found } = useLoaderData<typeof loader>();
  return (
    <div className="narrow">
      <h1>{t("verify.title")}</h1>
      {found ? (
        <>
          <p className={found.valid ? "alert alert-success" : "alert alert-error"} role="status">
            {found.valid ? t("verify.valid") : t("verify.expired")}
          </p>
          <dl className="facts facts-stacked">
            <div>
              <dt>{t("verify.name")}</dt>
              <dd>{found.name}</dd>
            </div>
            <div>
              <dt>{t("verify.agency")}</dt>
              <dd>{found.agency}</dd>
            </div>
            <div>
              <dt>{t("verify.course")}</dt>
              <dd>
                <L text={found.course} />
              </dd>
            </div>
            <div>
              <dt>{t("verify.completed")}</dt>
              <dd>{format.date(found.completedAt)}</dd>
            </div>
            <div>
              <dt>{t("verify.validUntil")}</dt>
              <dd>{format.date(found.expiresAt)}</dd>
            </div>
          </dl>
          <p className="hint">{code}</p>
        </>
      ) : (
        <>
          <p className="alert alert-error" role="status">
            {t("verify.notFound")}
          </p>
          <p>{t("verify.notFoundBody")}</p>
          <p>
            <Link to="/verify">{t("verify.tryAnother")}</Link>
          </p>
        </>
      )}
    </div>
  );
}
