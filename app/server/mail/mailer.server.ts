// Outgoing mail. With SMTP_URL set, mail goes out through nodemailer and the outbox keeps only
// that it was sent. Without it, the whole message is kept in the outbox for admins to read, so
// that a first installation can still be used; its link goes to the log as well only when
// LOG_MAIL_LINKS asks for it (development): a log is read by more people than the Outbox.
import type { Kysely } from "kysely";
import type { Database } from "../../../db/schema";
import type { Logger } from "../shared/log.server";

export interface Mail {
  to: string;
  subject: string;
  text: string;
  /** The one link the message is about; logged when mail is kept locally and logLinks is on. */
  link?: string;
}

/** What became of a message: sent through SMTP, kept in the outbox (no SMTP_URL), or failed to send. */
export type Delivery = "sent" | "kept" | "failed";

export interface Mailer {
  send(mail: Mail): Promise<Delivery>;
}

export interface MailerOptions {
  smtpUrl: string | undefined;
  from: string;
  /** Log the link of mail kept in the outbox (LOG_MAIL_LINKS). */
  logLinks?: boolean;
}

export function createMailer(db: Kysely<Database>, log: Logger, options: MailerOptions): Mailer {
  let transport: Promise<import("nodemailer").Transporter> | undefined;
  const smtp = () => (transport ??= import("nodemailer").then((m) => m.default.createTransport(options.smtpUrl)));

  return {
    async send(mail) {
      if (!options.smtpUrl) {
        await db
          .insertInto("mail_outbox")
          .values({ to_address: mail.to, subject: mail.subject, body_text: mail.text, status: "kept" })
          .execute();
        log.info("mail kept in outbox (no SMTP_URL)", {
          to: mail.to,
          subject: mail.subject,
          ...(options.logLinks ? { link: mail.link } : {}),
        });
        return "kept";
      }
      try {
        await (await smtp()).sendMail({ from: options.from, to: mail.to, subject: mail.subject, text: mail.text });
        await db
          .insertInto("mail_outbox")
          .values({ to_address: mail.to, subject: mail.subject, body_text: "", status: "sent" })
          .execute();
        return "sent";
      } catch (error) {
        log.error("mail could not be sent", { to: mail.to, subject: mail.subject, error });
        await db
          .insertInto("mail_outbox")
          .values({
            to_address: mail.to,
            subject: mail.subject,
            body_text: "",
            status: "failed",
            error: error instanceof Error ? error.message : String(error),
          })
          .execute();
        return "failed";
      }
    },
  };
}

export async function listOutbox(db: Kysely<Database>, limit = 100) {
  return db
    .selectFrom("mail_outbox")
    .select(["id", "to_address", "subject", "body_text", "status", "error", "created_at"])
    .orderBy("created_at", "desc")
    .limit(limit)
    .execute();
}
