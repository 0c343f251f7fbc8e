// The texts of the mails the platform sends. The recipient's language is not known before they
// have an account, so every mail carries Japanese first, then English.
import { translate } from "../../i18n";

function bilingual(key: "invite" | "inviteExisting" | "reset", params: Record<string, string>) {
  const part = (locale: "ja" | "en") => translate(locale, `mail.${key}.body`, params);
  return {
    subject: `${translate("ja", `mail.${key}.subject`)} / ${translate("en", `mail.${key}.subject`)}`,
    text: `${part("ja")}\n\n----\n\n${part("en")}\n`,
  };
}

export const invitationMail = (agencyName: string, link: string) => bilingual("invite", { agency: agencyName, link });
/** For an invitation to an address that has an account already: no link to a new one. */
export const existingAccountMail = (agencyName: string, signInLink: string) =>
  bilingual("inviteExisting", { agency: agencyName, link: signInLink });
export const resetMail = (link: string) => bilingual("reset", { link });
