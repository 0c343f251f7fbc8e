// Form pieces that put each error next to its field, in the reader's language, and tie them
// together for screen readers (aria-invalid, aria-describedby).
import { useNavigation } from "@remix-run/react";
import type { ReactNode } from "react";
import type { MessageParams } from "~/i18n";
import { useMessage, useT } from "./i18n";

export interface FormState {
  errors?: Record<string, string>;
  values?: Record<string, string>;
  /** What the form-wide message is filled with (a time, a length of time). */
  params?: MessageParams;
}

interface FieldProps {
  name: string;
  label: string;
  state?: FormState | undefined;
  type?: "text" | "email" | "password" | "search" | "date" | "number";
  autoComplete?: string;
  required?: boolean;
  defaultValue?: string;
  hint?: string;
  maxLength?: number;
  minLength?: number;
  inputMode?: "numeric" | "text";
  /** When two forms on a page have a field of the same name: the element's id (default: the name). */
  id?: string;
}

function describedBy(name: string, error: string | undefined, hint: string | undefined) {
  return [error ? `${name}-error` : null, hint ? `${name}-hint` : null].filter(Boolean).join(" ") || undefined;
}

function FieldMessages({ name, error, hint }: { name: string; error?: string | undefined; hint?: string | undefined }) {
  const t = useT();
  return (
    <>
      {hint ? (
        <p className="hint" id={`${name}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={`${name}-error`}>
          {t(error)}
        </p>
      ) : null}
    </>
  );
}

export function Field({ name, label, state, type = "text", defaultValue, hint, id, ...rest }: FieldProps) {
  const error = state?.errors?.[name];
  const fieldId = id ?? name;
  return (
    <div className={error ? "field has-error" : "field"}>
      <label htmlFor={fieldId}>{label}</label>
      <input
        id={fieldId}
        name={name}
        type={type}
        defaultValue={type === "password" ? undefined : (state?.values?.[name] ?? defaultValue)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(fieldId, error, hint)}
        {...rest}
      />
      <FieldMessages name={fieldId} error={error} hint={hint} />
    </div>
  );
}

interface SelectProps {
  name: string;
  label: string;
  options: { value: string; label: string }[];
  state?: FormState | undefined;
  defaultValue?: string;
  hint?: string;
  required?: boolean;
  /** When two forms of a page post the same field: the element's id (else the name). */
  id?: string;
}

export function SelectField({ name, label, options, state, defaultValue, hint, required, id = name }: SelectProps) {
  const error = state?.errors?.[name];
  return (
    <div className={error ? "field has-error" : "field"}>
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        name={name}
        defaultValue={state?.values?.[name] ?? defaultValue}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, error, hint)}
        required={required}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <FieldMessages name={id} error={error} hint={hint} />
    </div>
  );
}

/** The form-wide message (not tied to one field), announced when it appears. */
export function FormAlert({ state }: { state?: FormState | undefined }) {
  const message = useMessage();
  const key = state?.errors?._form;
  if (!key) return null;
  return (
    <div className="alert alert-error" role="alert">
      {message(key, state.params)}
    </div>
  );
}

/** A summary at the top of a form with errors, so keyboard and screen-reader users find them. */
/** `ids`: the element id of a field whose id is not its name (Field's `id`), for the summary's links. */
export function ErrorSummary({ state, ids }: { state?: FormState | undefined; ids?: Record<string, string> }) {
  const t = useT();
  const message = useMessage();
  const fields = Object.keys(state?.errors ?? {}).filter((k) => k !== "_form");
  if (fields.length === 0) return <FormAlert state={state} />;
  return (
    <div className="alert alert-error" role="alert">
      <p>{t("forms.fixErrors")}</p>
      <ul>
        {fields.map((f) => (
          <li key={f}>
            <a href={`#${ids?.[f] ?? f}`}>{t(state!.errors![f]!)}</a>
          </li>
        ))}
      </ul>
      {state?.errors?._form ? <p>{message(state.errors._form, state.params)}</p> : null}
    </div>
  );
}

export function SubmitButton({
  children,
  name,
  value,
  className,
  describedBy,
}: {
  children: ReactNode;
  name?: string;
  value?: string;
  className?: string;
  /** The id of a message about this button (why it was refused). */
  describedBy?: string | undefined;
}) {
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" && (!name || navigation.formData?.get(name) === value);
  return (
    <button
      type="submit"
      name={name}
      value={value}
      className={className ?? "button"}
      aria-disabled={busy || undefined}
      aria-describedby={describedBy}
      disabled={busy}
    >
      {children}
    </button>
  );
}
