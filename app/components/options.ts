// Select options for the fixed vocabularies, labelled in the reader's language.
import { AGENCY_KINDS, GROUP_KINDS, PROFESSIONS, ROLES } from "../../db/schema";

type T = (key: string) => string;

export const professionOptions = (t: T) => PROFESSIONS.map((value) => ({ value, label: t(`professions.${value}`) }));
export const agencyKindOptions = (t: T) => AGENCY_KINDS.map((value) => ({ value, label: t(`agencyKinds.${value}`) }));
export const roleOptions = (t: T) => ROLES.map((value) => ({ value, label: t(`roles.${value}`) }));
export const groupKindOptions = (t: T) => GROUP_KINDS.map((value) => ({ value, label: t(`groupKinds.${value}`) }));
export const localeOptions = () => [
  { value: "ja", label: "日本語" },
  { value: "en", label: "English" },
];
