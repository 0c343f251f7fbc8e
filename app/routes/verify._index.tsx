// Verifying a certificate from paper: type its code (any case, with or without dashes) and go to
// its verification page. Works without JavaScript: the form is a plain GET.
import { data, redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { Field } from "~/components/forms";
import { useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import { normaliseCertificateCode } from "~/server/learning/certificates.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "verify.title");

const Query = z.object({ code: z.string().max(64).optional() });

export async function loader({ request }: LoaderFunctionArgs) {
  const parsed = Query.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  const typed = parsed.success ? parsed.data.code?.trim() : "";
  if (parsed.success && !typed) return { errors: {}, values: {} };
  const code = parsed.success && typed ? normaliseCertificateCode(typed) : null;
  if (code) throw redirect(`/verify/${code}`);
  return data(
    { errors: { code: "errors.verify.code" }, values: { code: (typed ?? "").slice(0, 64) } },
    { status: 400, headers: { "X-Robots-Tag": "noindex" } },
  );
}

export default function VerifyForm() {
  const t = useT();
  const state = useLoaderData<typeof loader>();
  return (
    <div className="narrow">
      <h1>{t("verify.title")}</h1>
      <p className="lead">{t("verify.formLead")}</p>
      <Form method="get" className="stack">
        <Field
          name="code"
          label={t("verify.code")}
          hint={t("verify.codeHint")}
          state={state}
          autoComplete="off"
          maxLength={64}
          required
        />
        <button type="submit" className="button">
          {t("verify.submit")}
        </button>
      </Form>
    </div>
  );
}
