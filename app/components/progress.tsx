import { useT } from "./i18n";

/** A labelled progress bar that reads the same with or without CSS. */
export function ProgressBar({ percent, label }: { percent: number; label?: string }) {
  const t = useT();
  const text = label ?? t("learn.progress", { percent });
  return (
    <div className="progress">
      <progress max={100} value={percent} aria-label={text}>
        {percent}%
      </progress>
      <span className="progress-label">{text}</span>
    </div>
  );
}
