import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import {
  Form,
  isRouteErrorResponse,
  Links,
  Meta,
  NavLink,
  Outlet,
  Scripts,
  ScrollRestoration,
  useLocation,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import type { ReactNode } from "react";
import { useNonce } from "./components/nonce";
import { formatMessageParams, translate, type Locale, type MessageParams } from "./i18n";
import { can } from "./server/auth/policy.server";
import { scopeFor } from "./server/auth/scope.server";
import { resolveLocale } from "./server/http/locale.server";
import stylesheet from "./styles/app.css?url";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesheet },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

export const meta: MetaFunction = () => [{ title: "Mamoru" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = context.user;
  const locale = resolveLocale(request, user?.locale);
  const actor = user ? { id: user.id, agencyId: user.agencyId, roles: user.roles, trainerOf: user.trainerOf } : null;
  return {
    locale,
    user: user ? { displayName: user.displayName, roles: user.roles, agencyId: user.agencyId } : null,
    unread: user?.unreadNotifications ?? 0,
    nav: {
      admin: actor ? can(actor, "agency.manage") : false,
      people: actor ? scopeFor(actor, "progress.view").kind !== "none" : false,
      records: actor ? scopeFor(actor, "records.view").kind !== "none" : false,
      agency: actor ? can(actor, "group.manage", { agencyId: actor.agencyId }) : false,
    },
  };
}

type RootData = Awaited<ReturnType<typeof loader>>;

function Document({ locale, title, children }: { locale: Locale; title?: string; children: ReactNode }) {
  const nonce = useNonce();
  return (
    <html lang={locale}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {/* An error page names itself; the routes' meta would add a second <title>. */}
        {title ? <title>{title}</title> : <Meta />}
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

function Header({ data }: { data: RootData | undefined }) {
  const locale = data?.locale ?? "ja";
  const t = (key: string, params?: Record<string, string | number>) => translate(locale, key, params);
  const location = useLocation();
  const here = location.pathname + location.search;
  return (
    <header className="site-header">
      <a className="skip-link" href="#main">
        {t("nav.skip")}
      </a>
      <div className="header-inner">
        <a className="brand" href="/">
          <span className="brand-mark" aria-hidden="true">
            守
          </span>
          <span className="brand-name">{t("app.name")}</span>
        </a>
        {data?.user ? (
          <nav aria-label={t("nav.label")} className="main-nav">
            <NavLink to="/" end>
              {t("nav.home")}
            </NavLink>
            <NavLink to="/courses">{t("nav.courses")}</NavLink>
            {data.nav.people ? <NavLink to="/training">{t("nav.training")}</NavLink> : null}
            {data.nav.people ? <NavLink to="/admin/users">{t("nav.people")}</NavLink> : null}
            {data.nav.records ? <NavLink to="/agency/records">{t("review.nav")}</NavLink> : null}
            {data.nav.agency && !data.nav.admin ? (
              <NavLink to={`/admin/agencies/${data.user.agencyId}`}>{t("nav.myAgency")}</NavLink>
            ) : null}
            {data.nav.admin ? (
              <NavLink to="/admin" end>
                {t("nav.admin")}
              </NavLink>
            ) : null}
            <NavLink to="/notifications">
              {t("nav.notifications")}
              {data.unread > 0 ? <span className="badge">{t("nav.unread", { n: data.unread })}</span> : null}
            </NavLink>
            <NavLink to="/account">{t("nav.account")}</NavLink>
          </nav>
        ) : (
          <nav aria-label={t("nav.label")} className="main-nav">
            <NavLink to="/courses">{t("nav.courses")}</NavLink>
          </nav>
        )}
        <div className="header-tools">
          <Form method="post" action="/locale" className="lang-switch" aria-label={t("nav.language")}>
            <input type="hidden" name="redirectTo" value={here} />
            <button type="submit" name="locale" value="ja" lang="ja" aria-pressed={locale === "ja"}>
              日本語
            </button>
            <button type="submit" name="locale" value="en" lang="en" aria-pressed={locale === "en"}>
              English
            </button>
          </Form>
          {data?.user ? (
            <Form method="post" action="/sign-out">
              <button type="submit" className="link-button">
                {t("nav.signOut")}
              </button>
            </Form>
          ) : null}
        </div>
      </div>
    </header>
  );
}

export default function App() {
  const data = useRouteLoaderData<typeof loader>("root");
  return (
    <Document locale={data?.locale ?? "ja"}>
      <Header data={data} />
      <main id="main" className="page" tabIndex={-1}>
        <Outlet />
      </main>
      <footer className="site-footer">
        <p>{translate(data?.locale ?? "ja", "app.footer")}</p>
      </footer>
    </Document>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const data = useRouteLoaderData<typeof loader>("root");
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const kind =
    status === 403
      ? "forbidden"
      : status === 404
        ? "notFound"
        : status === 405
          ? "methodNotAllowed"
          : status === 413
            ? "tooLarge"
            : status === 429
              ? "tooMany"
              : status === 503
                ? "unavailable"
                : status < 500
                  ? "badRequest"
                  : "server";
  // A usage limit reached says which, and from when it may be used again.
  const limit =
    status === 429 && isRouteErrorResponse(error) && typeof error.data?.messageKey === "string"
      ? (error.data as { messageKey: string; params?: MessageParams })
      : null;
  // When the root loader itself failed we do not know the reader's language: say it in both.
  const locales: Locale[] = data ? [data.locale] : ["ja", "en"];
  return (
    <Document locale={locales[0]!} title={`${status} — ${translate(locales[0]!, `errorPage.${kind}.title`)}`}>
      <Header data={data} />
      <main id="main" className="page" tabIndex={-1}>
        {locales.map((locale, i) => (
          <section key={locale} lang={locale} className="error-page">
            <p className="error-status">{status}</p>
            {/* One <h1> per page: the second language's title is a heading below it. */}
            {i === 0 ? (
              <h1>{translate(locale, `errorPage.${kind}.title`)}</h1>
            ) : (
              <h2>{translate(locale, `errorPage.${kind}.title`)}</h2>
            )}
            <p>{translate(locale, `errorPage.${kind}.body`)}</p>
            {limit ? <p>{translate(locale, limit.messageKey, formatMessageParams(locale, limit.params))}</p> : null}
            <p>
              <a href="/">{translate(locale, "errorPage.home")}</a>
            </p>
          </section>
        ))}
      </main>
    </Document>
  );
}
