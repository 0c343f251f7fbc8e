// Outgoing mail. With SMTP_URL set, mail is queued in the outbox and a job (pg-boss, with retries
// and backoff) hands it to the mail server; a server that is down loses nothing. Without it, the whole message is kept in the outbox for admins to read, so
// that a first installation can still be used; its link goes to the log as well only when
// LOG_MAIL_LINKS asks for it (development): a log is read by more people than the Outbox.
import type { Kysely } from "kysely";
import type { Database } from "../../../db/schema";
import { enqueueMany, QUEUES } from "../jobs/queue.server";
import type { Logger } from "../shared/log.server";

export interface Mail {
  to: string;
  subject: string;
  text: string;
  /** The one link the message is about; logged when mail is kept locally and logLinks is on. */
  link?: string;
}

/** What became of a message: queued for the mail server, or kept in the outbox (no SMTP_URL). */
export type Delivery = "queued" | "kept";

export interface Mailer {
  /**
   * Keeps the mail (no SMTP_URL) or queues it for delivery. Pass the transaction of the change the
   * mail is about, so that the mail is queued if and only if the change commits.
   */
  send(mail: Mail, trx?: Kysely<Database>): Promise<Delivery>;
  /** Many mails in a few statements, in the given transaction; returns their outbox ids in order. */
  sendMany(trx: Kysely<Database>, mails: readonly Mail[]): Promise<string[]>;
  /** The job that hands one queued mail to the mail server; throws so that the queue retries it. */
  deliver(outboxId: string, attempt: number): Promise<void>;
}

export interface MailerOptions {
  smtpUrl: string | undefined;
  from: string;
  /** Log the link of mail kept in the outbox (LOG_MAIL_LINKS). */
  logLinks?: boolean;
  /** Overrides the SMTP transport (tests): receives each message handed to the mail server. */
  /** Seconds before a refused mail is tried again (doubling each time); default 30. */
  retryDelaySeconds?: number;
  /** Seconds after which a delivery that has not finished (its worker died) is run again; default 120. */
  expireInSeconds?: number;
  transport?: (message: {
    from: string;
    to: string;
    subject: string;
    text: string;
    messageId: string;
  }) => Promise<void>;
}

/** Retries of a mail while the mail server refuses it: 8, with doubling delays from 30 s (about two hours in all). */
export const MAIL_RETRIES = 8;

export function createMailer(db: Kysely<Database>, log: Logger, options: MailerOptions): Mailer {
  let transport: Promise<import("nodemailer").Transporter> | undefined;
  const smtp = () => (transport ??= import("nodemailer").then((m) => m.default.createTransport(options.smtpUrl)));
  const handOver =
    options.transport ??
    (async (message: { from: string; to: string; subject: string; text: string; messageId: string }) => {
      await (await smtp()).sendMail(message);
    });
  const domain = () => /@([^>\s]+)/.exec(options.from)?.[1] ?? "localhost";

  const mailer: Mailer = {
    async send(mail, trx) {
      if (trx) await mailer.sendMany(trx, [mail]);
      else await db.transaction().execute((t) => mailer.sendMany(t, [mail]));
      return options.smtpUrl || options.transport ? "queued" : "kept";
    },

    async sendMany(trx, mails) {
      if (mails.length === 0) return [];
      const kept = !options.smtpUrl && !options.transport;
      const rows = await trx
        .insertInto("mail_outbox")
        .values(
          mails.map((mail) => ({
            to_address: mail.to,
            subject: mail.subject,
            body_text: mail.text,
            status: kept ? ("kept" as const) : ("queued" as const),
          })),
        )
        .returning("id")
        .execute();
      if (kept) {
        for (const mail of mails)
          log.info("mail kept in outbox (no SMTP_URL)", {
            to: mail.to,
            subject: mail.subject,
            ...(options.logLinks ? { link: mail.link } : {}),
          });
      } else {
        await enqueueMany(
          trx,
          QUEUES.mail,
          rows.map((row) => ({ outboxId: row.id })),
          {
            retryLimit: MAIL_RETRIES,
            retryDelay: options.retryDelaySeconds ?? 30,
            retryBackoff: true,
            expireInSeconds: options.expireInSeconds ?? 120,
          },
        );
      }
      return rows.map((row) => row.id);
    },

    async deliver(outboxId, attempt) {
      const mail = await db
        .selectFrom("mail_outbox")
        .select(["to_address", "subject", "body_text", "status"])
        .where("id", "=", outboxId)
        .executeTakeFirst();
      // Delivered already (a job re-run after its worker died between sending and this mark).
      if (!mail || mail.status !== "queued") return;
      try {
        // The same Message-ID on every try lets a receiving server drop a duplicate.
        await handOver({
          from: options.from,
          to: mail.to_address,
          subject: mail.subject,
          text: mail.body_text,
          messageId: `<${outboxId}@${domain()}>`,
        });
      } catch (error) {
        const last = attempt >= MAIL_RETRIES;
        log[last ? "error" : "warn"]("mail could not be sent", { to: mail.to_address, attempt, error });
        await db
          .updateTable("mail_outbox")
          .set({
            attempts: attempt + 1,
            error: error instanceof Error ? error.message : String(error),
            ...(last ? { status: "failed" as const } : {}),
          })
          .where("id", "=", outboxId)
          .execute();
        throw error;
      }
      // Sent mail keeps its address and subject, not its body (a reset link must not linger).
      await db
        .updateTable("mail_outbox")
        .set({ status: "sent", sent_at: new Date(), body_text: "", attempts: attempt + 1, error: null })
        .where("id", "=", outboxId)
        .where("status", "=", "queued")
        .execute();
    },
  };
  return mailer;
}

export async function listOutbox(db: Kysely<Database>, limit = 100) {
  return db
    .selectFrom("mail_outbox")
    .select(["id", "to_address", "subject", "body_text", "status", "error", "created_at"])
    .orderBy("created_at", "desc")
    .limit(limit)
    .execute();
}
