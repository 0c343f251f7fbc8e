// The database's shape as Kysely sees it. Keep in step with db/migrations.
import type { ColumnType, Generated, Insertable, Selectable } from "kysely";

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
/** A calendar date, 'YYYY-MM-DD': a due date is a day, not an instant in some time zone. */
type CalendarDate = string;

export const AGENCY_KINDS = [
  "police",
  "prosecution",
  "court",
  "child_guidance",
  "juvenile_protection",
  "social_services",
  "other",
] as const;
export type AgencyKind = (typeof AGENCY_KINDS)[number];

export const PROFESSIONS = [
  "police",
  "prosecutor",
  "judge",
  "social_worker",
  "child_guidance",
  "juvenile_protection",
  "teacher",
  "lawyer",
  "media",
  "other",
] as const;
export type Profession = (typeof PROFESSIONS)[number];

export const ROLES = ["trainee", "trainer", "reviewer", "admin"] as const;
export type Role = (typeof ROLES)[number];

export const GROUP_KINDS = ["unit", "cohort"] as const;
export type GroupKind = (typeof GROUP_KINDS)[number];

export const LOCALES = ["ja", "en"] as const;
export type Locale = (typeof LOCALES)[number];

export interface AgenciesTable {
  id: Generated<string>;
  name: string;
  kind: AgencyKind;
  created_at: CreatedAt;
}

export interface GroupsTable {
  id: Generated<string>;
  agency_id: string;
  name: string;
  kind: GroupKind;
  created_at: CreatedAt;
}

export interface GroupMembersTable {
  group_id: string;
  user_id: string;
  added_at: CreatedAt;
}

/** A trainer of a group: trains its members (not a member of it). */
export interface GroupTrainersTable {
  group_id: string;
  user_id: string;
  added_at: CreatedAt;
  added_by: string | null;
}

export interface UsersTable {
  id: Generated<string>;
  email: string;
  display_name: string;
  profession: Profession;
  locale: Locale | null;
  agency_id: string;
  disabled_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface UserRolesTable {
  user_id: string;
  role: Role;
}

export interface PasswordCredentialsTable {
  user_id: string;
  hash: string;
  updated_at: Timestamp;
}

export interface SessionsTable {
  /** SHA-256 of the session token; the token itself only ever lives in the cookie. */
  id: string;
  user_id: string;
  expires_at: Timestamp;
  absolute_expires_at: Timestamp;
  created_at: CreatedAt;
  /** How a page names the session (to end it): the id is the token's hash and never leaves the server. */
  ref: Generated<string>;
  /** The browser's User-Agent when the session began, cut to 512 characters. */
  user_agent: string | null;
  /** Refreshed at most once a minute. */
  last_seen_at: Timestamp;
}

/** A person's TOTP authenticator (db/migrations/0017_mfa_and_sessions.ts). */
export interface TotpCredentialsTable {
  user_id: string;
  /** The shared secret, AES-256-GCM with a key derived from the chain key `key_id` (not in the database). */
  secret: string;
  key_id: string;
  /** Null while enrolment waits for the first code. */
  confirmed_at: Timestamp | null;
  /** The newest 30-second step whose code was accepted: a code is never accepted twice. */
  last_step: number | null;
  created_at: CreatedAt;
}

export interface RecoveryCodesTable {
  id: Generated<string>;
  user_id: string;
  /** HMAC-SHA-256 of the code with a key derived from the chain key `key_id`. */
  code_hash: string;
  key_id: string;
  used_at: Timestamp | null;
  created_at: CreatedAt;
}

/** Between the right password and the second factor: minutes long, and not a session. */
export interface MfaChallengesTable {
  token_hash: string;
  user_id: string;
  /** The WebAuthn challenge issued for a passkey, when one was asked for. */
  webauthn_challenge: string | null;
  expires_at: Timestamp;
  created_at: CreatedAt;
}

export interface PasskeysTable {
  /** The credential id, base64url. */
  id: string;
  user_id: string;
  /** The COSE public key, base64url. */
  public_key: string;
  counter: Generated<number>;
  transports: ColumnType<string[], string | undefined, string>;
  name: string;
  created_at: CreatedAt;
  last_used_at: Timestamp | null;
}

export interface MfaRequiredRolesTable {
  role: Role;
  required_by: string | null;
  required_at: CreatedAt;
}

export interface InvitationsTable {
  id: Generated<string>;
  token_hash: string;
  email: string;
  agency_id: string;
  role: Role;
  profession: Profession;
  invited_by: string | null;
  expires_at: Timestamp;
  accepted_at: Timestamp | null;
  accepted_user_id: string | null;
  created_at: CreatedAt;
  /** Set when the invitation ended unused: superseded, ended by an account made, or revoked. */
  ended_at: Timestamp | null;
  end_reason: InvitationEndReason | null;
  ended_by: string | null;
  /** The group the invitee joins on accepting (a bulk invitation names one). */
  group_id: string | null;
  /** The name the inviter gave, offered on the sign-up form. */
  display_name: string | null;
  /** The CSV import the invitation came from. */
  import_id: string | null;
}

export const IMPORT_ENCODINGS = ["utf-8", "utf-8-bom", "shift_jis"] as const;
export type ImportEncoding = (typeof IMPORT_ENCODINGS)[number];

/** A CSV file of invitations between its preview and its confirmation (db/migrations/0018). */
export interface InvitationImportsTable {
  id: Generated<string>;
  agency_id: string;
  created_by: string;
  /** SHA-256 of the decoded text. */
  content_hash: string;
  encoding: ImportEncoding;
  /** The decoded file while previewed; dropped when confirmed. */
  content: string | null;
  status: Generated<"previewed" | "confirmed">;
  created_at: CreatedAt;
  expires_at: Timestamp;
  confirmed_at: Timestamp | null;
  counts: Json<Record<string, number>> | null;
}

export const INVITATION_END_REASONS = ["superseded", "account_made", "revoked"] as const;
export type InvitationEndReason = (typeof INVITATION_END_REASONS)[number];

export interface PasswordResetsTable {
  id: Generated<string>;
  token_hash: string;
  user_id: string;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface SetupTokensTable {
  token_hash: string;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface ThrottlesTable {
  key: string;
  failures: number;
  window_started_at: Timestamp;
  locked_until: Timestamp | null;
}

export interface MailOutboxTable {
  id: Generated<string>;
  to_address: string;
  subject: string;
  body_text: string;
  /** "kept" when no SMTP server is configured, else "sent" or "failed". */
  status: "kept" | "queued" | "sent" | "failed";
  error: string | null;
  created_at: CreatedAt;
  attempts: Generated<number>;
  sent_at: Timestamp | null;
}

export interface AuditEventsTable {
  id: Generated<string>;
  at: CreatedAt;
  actor_id: string | null;
  agency_id: string | null;
  action: string;
  subject_type: string;
  subject_id: string | null;
  details: ColumnType<Record<string, unknown>, string, never>;
  /** Chain order (events from before the chain numbered by time); see app/server/audit.server.ts. */
  seq: Generated<number>;
  /** Null on events written before the audit trail was chained (migration 0012). */
  prev_hash: string | null;
  hash: string | null;
  /** HMAC-SHA-256 of `hash` with the key `key_id` (the key is never in the database). */
  mac: string | null;
  key_id: string | null;
  /** The algorithms of `hash` and `mac` (app/server/chain/anchor.server.ts LINK_ALGORITHMS); null: SHA-256 and HMAC-SHA-256, from before identifiers (0020). */
  alg: string | null;
}

export interface Database {
  agencies: AgenciesTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  group_trainers: GroupTrainersTable;
  users: UsersTable;
  user_roles: UserRolesTable;
  password_credentials: PasswordCredentialsTable;
  sessions: SessionsTable;
  totp_credentials: TotpCredentialsTable;
  recovery_codes: RecoveryCodesTable;
  mfa_challenges: MfaChallengesTable;
  passkeys: PasskeysTable;
  mfa_required_roles: MfaRequiredRolesTable;
  invitations: InvitationsTable;
  invitation_imports: InvitationImportsTable;
  password_resets: PasswordResetsTable;
  setup_tokens: SetupTokensTable;
  throttles: ThrottlesTable;
  mail_outbox: MailOutboxTable;
  audit_events: AuditEventsTable;
  recommendations: RecommendationsTable;
  misconceptions: MisconceptionsTable;
  modules: ModulesTable;
  module_versions: ModuleVersionsTable;
  lessons: LessonsTable;
  questions: QuestionsTable;
  courses: CoursesTable;
  course_modules: CourseModulesTable;
  content_syncs: ContentSyncsTable;
  enrollments: EnrollmentsTable;
  lesson_progress: LessonProgressTable;
  quiz_attempts: QuizAttemptsTable;
  lesson_reads: LessonReadsTable;
  completion_records: CompletionRecordsTable;
  assignments: AssignmentsTable;
  assignees: AssigneesTable;
  notifications: NotificationsTable;
}

export type Agency = Selectable<AgenciesTable>;
export type Group = Selectable<GroupsTable>;
export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;

// Course content (see db/migrations/0002_catalog.ts). Localised texts are { en, ja? } objects.
export type LocalisedText = { en: string; ja?: string };
type Json<T> = ColumnType<T, string, string>;

export interface RecommendationsTable {
  id: string;
  section: string;
  text: string;
  trainable: boolean;
  position: number;
}

export interface MisconceptionsTable {
  id: string;
  label: Json<{ en: string; ja: string }>;
}

export interface ModulesTable {
  slug: string;
  latest_version: number;
  created_at: CreatedAt;
}

export interface ContentSource {
  id: string;
  title: string;
  year: number;
  detail: string;
  url?: string | null;
}

/**
 * A module version's final-quiz settings as stored. Versions synced before a setting existed lack
 * it: read them through quizSettings() (app/server/learning/rules.server.ts), which fills the defaults.
 */
export interface QuizSettings {
  questions: number;
  maxAttempts: number | null;
  /** Wait after a failed final attempt, in minutes. */
  cooldownMinutes: number;
  /** Final attempts a person may start in one day, Japan time. */
  maxAttemptsPerDay?: number;
  /** From this many failed attempts on, the lessons covering the missed questions are read again first. */
  revisitAfterFailures?: number;
  /** When a trainee sees the correct options of a final attempt: once they have passed, or always. */
  review?: "after-pass" | "always";
}

export interface ModuleVersionsTable {
  id: Generated<string>;
  module_slug: string;
  version: number;
  content_hash: string;
  locales: Json<Locale[]>;
  title: Json<LocalisedText>;
  summary: Json<LocalisedText>;
  professions: Json<Profession[]>;
  minutes: number;
  pass_mark: number;
  quiz_settings: Json<QuizSettings>;
  sources: Json<ContentSource[]>;
  recommendation_ids: Json<string[]>;
  created_at: CreatedAt;
}

export interface LessonsTable {
  module_version_id: string;
  lesson_id: string;
  position: number;
  title: Json<LocalisedText>;
  minutes: number;
  content_note: Json<LocalisedText> | null;
  html: Json<{ en: string; ja?: string }>;
}

export interface QuestionsTable {
  module_version_id: string;
  question_id: string;
  stage: "pretest" | "final";
  position: number;
  kind: "single" | "multiple" | "true_false" | "scenario";
  content: Json<Record<string, unknown>>;
}

export interface CoursesTable {
  slug: string;
  title: Json<LocalisedText>;
  summary: Json<LocalisedText>;
  professions: Json<Profession[]>;
  recertification_months: number;
  position: number;
  archived_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface CourseModulesTable {
  course_slug: string;
  position: number;
  module_slug: string;
}

export interface ContentSyncsTable {
  id: Generated<string>;
  at: CreatedAt;
  ok: boolean;
  content_hash: string | null;
  summary: Json<Record<string, unknown>>;
  error: string | null;
}

// Learning (see db/migrations/0003_learning.ts).
export interface EnrollmentsTable {
  user_id: string;
  course_slug: string;
  enrolled_at: CreatedAt;
}

export interface LessonProgressTable {
  user_id: string;
  module_version_id: string;
  lesson_id: string;
  completed_at: CreatedAt;
}

/** One reading of a lesson (db/migrations/0004_lesson_reads.ts): served, then confirmed. */
export interface LessonReadsTable {
  id: Generated<string>;
  user_id: string;
  module_version_id: string;
  lesson_id: string;
  /** The edition served, whose text set the minimum. */
  locale: Locale;
  /** When the lesson's text was first served to the person for this reading. */
  served_at: Timestamp;
  /** The minimum reading time that applied, in seconds. */
  min_seconds: number;
  confirmed_at: Timestamp | null;
}

export interface QuizAttemptsTable {
  id: Generated<string>;
  user_id: string;
  module_version_id: string;
  stage: "pretest" | "final";
  served: Json<{ id: string; options: string[]; followUp?: string[] }[]>;
  answers: ColumnType<Record<string, { choice: string[]; followUp?: string[] }>, string | undefined, string>;
  started_at: CreatedAt;
  submitted_at: Timestamp | null;
  correct: number | null;
  total: number | null;
  score: number | null;
  passed: boolean | null;
}

export interface CompletionRecordsTable {
  seq: Generated<number>;
  id: Generated<string>;
  kind: "module" | "course";
  user_id: string;
  module_version_id: string | null;
  course_slug: string | null;
  attempt_id: string | null;
  score: number | null;
  pretest_score: number | null;
  started_at: Timestamp | null;
  completed_at: Timestamp;
  expires_at: Timestamp;
  certificate_code: string | null;
  details: Json<Record<string, unknown>>;
  prev_hash: string;
  hash: string;
  /** HMAC-SHA-256 of `hash` with the key `key_id`; null on records from before the chain had a key. */
  mac: string | null;
  key_id: string | null;
  /** The algorithms of `hash` and `mac` (app/server/chain/anchor.server.ts LINK_ALGORITHMS); null: SHA-256 and HMAC-SHA-256, from before identifiers (0020). */
  alg: string | null;
}

/** Where a person stands on an assignment (computed, not stored: app/server/assignments/status.server.ts). */
export const ASSIGNEE_STATES = ["not_started", "in_progress", "overdue", "renewal_due", "completed"] as const;
export type AssigneeState = (typeof ASSIGNEE_STATES)[number];

/** The training matrix's words for a person and a course or module (computed: status.server.ts `standing`). */
export const STANDINGS = [
  "current",
  "expiring",
  "expired",
  "overdue",
  "in_progress",
  "not_started",
  "not_required",
] as const;
export type Standing = (typeof STANDINGS)[number];

export const AUDIENCES = ["people", "group", "profession"] as const;
export type Audience = (typeof AUDIENCES)[number];

/** A course or one module given to people, a group or a profession, due on a date or N days after it reaches a person. */
export interface AssignmentsTable {
  id: Generated<string>;
  agency_id: string;
  course_slug: string | null;
  module_slug: string | null;
  audience: Audience;
  group_id: string | null;
  profession: Profession | null;
  due_on: CalendarDate | null;
  due_days: number | null;
  remind_days: Generated<number[]>;
  recurs: Generated<boolean>;
  renewal_window_days: Generated<number>;
  note: string | null;
  assigned_by: string | null;
  created_at: CreatedAt;
  ended_at: Timestamp | null;
  ended_by: string | null;
}

export const END_REASONS = ["unassigned", "left_group", "left_agency", "profession_changed", "disabled"] as const;
export type EndReason = (typeof END_REASONS)[number];

/** A person an assignment reaches, from `since`; ended rows are the history. */
export interface AssigneesTable {
  id: Generated<string>;
  assignment_id: string;
  user_id: string;
  since: CreatedAt;
  extended_to: CalendarDate | null;
  extended_by: string | null;
  ended_at: Timestamp | null;
  end_reason: EndReason | null;
}

export const NOTIFICATION_KINDS = ["assigned", "due_soon", "overdue", "expiring", "digest"] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export interface NotificationsTable {
  id: Generated<string>;
  user_id: string;
  kind: NotificationKind;
  key: string;
  subject: string;
  body_text: string;
  link: string;
  mail_id: string | null;
  created_at: CreatedAt;
  read_at: Timestamp | null;
}
