import type { ContentSource } from "../../db/schema";

/**
 * A module's sources, each with an anchor that lesson citations (source:<id>) link to. They are
 * cited as published, in English (with Japanese titles inside), so marked as English.
 */
export function SourceList({ sources }: { sources: ContentSource[] }) {
  return (
    <ul className="sources">
      {sources.map((s) => (
        <li key={s.id} id={`source-${s.id}`} lang="en">
          {s.url ? (
            <a href={s.url} rel="noopener noreferrer">
              {s.title}
            </a>
          ) : (
            s.title
          )}{" "}
          ({s.year}). {s.detail}
        </li>
      ))}
    </ul>
  );
}
