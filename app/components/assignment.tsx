// How an assignment is described on the trainer's pages: to whom, and by when.
import { useT } from "./i18n";

interface Described {
  group_name: string | null;
  profession: string | null;
  due_on: string | null;
  due_days: number | null;
}

export function AssignmentSummary({ a }: { a: Described }) {
  const t = useT();
  const to = a.group_name
    ? t("training.toGroup", { name: a.group_name })
    : a.profession
      ? t("training.toProfession", { profession: t(`professions.${a.profession}`) })
      : t("training.toPeople");
  const due = a.due_on ? t("training.dueOn", { date: a.due_on }) : t("training.dueDays", { days: a.due_days ?? 0 });
  return <>{`${to} · ${due}`}</>;
}
