import { Link } from "@remix-run/react";
import { useT } from "./i18n";

/** What a used, expired or unknown link says, with the next step the reader can take. */
export function TokenProblem({
  kind,
  status,
}: {
  kind: "invite" | "reset" | "setup";
  /** Superseded and revoked happen to invitations only. */
  status: "expired" | "used" | "unknown" | "superseded" | "revoked";
}) {
  const t = useT();
  return (
    <div className="narrow">
      <h1>{t(`token.${status}.title`)}</h1>
      <p>{t(`token.${kind}.${status}`)}</p>
      <p>
        {kind === "reset" ? (
          <Link to="/forgot-password">{t("token.reset.next")}</Link>
        ) : (
          <Link to="/sign-in">{t("token.signInNext")}</Link>
        )}
      </p>
    </div>
  );
}
