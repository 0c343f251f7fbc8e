// The pieces the reviewer's filtered lists share: a filter select whose empty choice is "any", and
// the keyset pager that keeps the filter.
import { Link } from "@remix-run/react";
import type { ReactNode } from "react";
import { filterParams } from "./filter-params";
import { useT } from "./i18n";

export function FilterSelect({
  name,
  label,
  value,
  children,
}: {
  name: string;
  label: string;
  value: string | undefined;
  children: ReactNode;
}) {
  const t = useT();
  return (
    <div className="field">
      <label htmlFor={name}>{label}</label>
      <select id={name} name={name} defaultValue={value ?? ""}>
        <option value="">{t("review.filters.any")}</option>
        {children}
      </select>
    </div>
  );
}

/** Back to the first page, and on to the page after `next` (the last row's cursor), filter kept. */
export function KeysetPager({
  filter,
  next,
}: {
  filter: Record<string, string | number | undefined> & { after?: string | number | undefined };
  next: string | number | null;
}) {
  const t = useT();
  return (
    <nav className="pager" aria-label={t("review.pages")}>
      {filter.after ? <Link to={`?${filterParams(filter, ["after"])}`}>{t("review.first")}</Link> : null}
      {next ? <Link to={`?${filterParams({ ...filter, after: next })}`}>{t("review.next")}</Link> : null}
    </nav>
  );
}
