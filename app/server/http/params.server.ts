// Route parameters that name content: slugs and lesson ids look like this or do not exist.
export const isSlug = (value: string | undefined): value is string =>
  typeof value === "string" && /^[a-z0-9-]{1,80}$/.test(value);
export const isContentId = (value: string | undefined): value is string =>
  typeof value === "string" && /^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$/.test(value);
