// Passkey buttons. A passkey needs JavaScript: without it (or without WebAuthn in the browser)
// nothing is shown, and the authenticator-app forms beside them work as before.
import { useEffect, useState } from "react";
import { useT } from "~/components/i18n";

function useWebAuthn(): boolean {
  const [supported, setSupported] = useState(false);
  useEffect(() => setSupported(typeof window !== "undefined" && "PublicKeyCredential" in window), []);
  return supported;
}

async function post(path: string, fields: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams(fields),
    credentials: "same-origin",
  });
  return { status: response.status, body: await response.json().catch(() => ({})) };
}

const errorOf = (body: unknown) =>
  typeof body === "object" && body && "error" in body && typeof body.error === "string"
    ? body.error
    : "errors.passkey.failed";

export function AddPasskey() {
  const t = useT();
  const supported = useWebAuthn();
  const [name, setName] = useState("");
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (!supported) return <p className="hint">{t("passkeys.needsScript")}</p>;
  const add = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const { startRegistration } = await import("@simplewebauthn/browser");
      const options = await post("/account/passkeys", { intent: "options" });
      const confirm = (options.body as { confirm?: unknown }).confirm;
      // The sign-in is too old to add a passkey: confirm it is the person first, then come back.
      if (typeof confirm === "string" && confirm.startsWith("/account/confirm")) return window.location.assign(confirm);
      if (options.status !== 200) throw new Error(errorOf(options.body));
      const { token, options: optionsJSON } = options.body as { token: string; options: never };
      const response = await startRegistration({ optionsJSON });
      const done = await post("/account/passkeys", {
        intent: "register",
        token,
        name: name.trim() || t("passkeys.defaultName"),
        response: JSON.stringify(response),
      });
      if (done.status !== 200) throw new Error(errorOf(done.body));
      window.location.assign("/account/two-factor?saved=passkey");
    } catch (error) {
      const key =
        error instanceof Error && error.message.startsWith("errors.") ? error.message : "errors.passkey.failed";
      setMessage(key);
      setBusy(false);
    }
  };
  return (
    <div className="stack">
      <div className="field">
        <label htmlFor="passkey-name">{t("passkeys.name")}</label>
        <input
          id="passkey-name"
          value={name}
          maxLength={60}
          onChange={(e) => setName(e.target.value)}
          aria-describedby="passkey-name-hint"
        />
        <p className="hint" id="passkey-name-hint">
          {t("passkeys.nameHint")}
        </p>
      </div>
      <button type="button" className="button" onClick={() => void add()} disabled={busy}>
        {t("passkeys.add")}
      </button>
      <p role="status" className={message ? "field-error" : undefined}>
        {message ? t(message) : null}
      </p>
    </div>
  );
}

export function UsePasskey({ next }: { next: string }) {
  const t = useT();
  const supported = useWebAuthn();
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (!supported) return null;
  const use = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const { startAuthentication } = await import("@simplewebauthn/browser");
      const options = await post("/sign-in/passkey", { intent: "options" });
      if (options.status !== 200) throw new Error(errorOf(options.body));
      const response = await startAuthentication({ optionsJSON: options.body as never });
      const done = await post("/sign-in/passkey", { intent: "verify", next, response: JSON.stringify(response) });
      if (done.status !== 200) throw new Error(errorOf(done.body));
      window.location.assign((done.body as { next: string }).next);
    } catch (error) {
      const key =
        error instanceof Error && error.message.startsWith("errors.") ? error.message : "errors.passkey.failed";
      setMessage(key);
      setBusy(false);
    }
  };
  return (
    <div className="stack">
      <button type="button" className="button button-secondary" onClick={() => void use()} disabled={busy}>
        {t("passkeys.use")}
      </button>
      <p role="status" className={message ? "field-error" : undefined}>
        {message ? t(message) : null}
      </p>
    </div>
  );
}
