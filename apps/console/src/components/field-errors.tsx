"use client";

import { useId, type ReactNode } from "react";

/** The parts of a tRPC error the API's error formatter adds (packages/api/src/trpc.ts). */
export interface FieldErrorSource {
  message: string;
  data?: {
    code?: string;
    field?: string | null;
    zodIssues?: { path: string; message: string }[] | null;
  } | null;
}

export interface SplitErrors {
  /** Messages by field name (relative to `prefix`), for fields the form shows. */
  fields: Record<string, string>;
  /** What belongs to no field the form shows; null when everything found its field. */
  other: string | null;
}

/**
 * Puts a server error next to the fields it is about. Input validation carries one issue per path; a domain error
 * carries the field and a message of "field: what to do" parts joined by "; ".
 */
export function splitFieldErrors(
  error: FieldErrorSource | null | undefined,
  known: readonly string[],
  prefix = "",
): SplitErrors {
  const fields: Record<string, string> = {};
  const rest: string[] = [];
  if (!error) return { fields, other: null };
  const relative = (path: string) =>
    prefix && path.startsWith(`${prefix}.`) ? path.slice(prefix.length + 1) : path;
  const place = (path: string | null, message: string) => {
    const key = path === null ? null : relative(path);
    if (key !== null && known.includes(key)) {
      fields[key] = fields[key] ? `${fields[key]}; ${message}` : message;
    } else {
      rest.push(key ? `${key}: ${message}` : message);
    }
  };
  const issues = error.data?.zodIssues;
  if (issues?.length) {
    for (const i of issues) place(i.path || null, i.message);
  } else if (error.data?.field) {
    const field = error.data.field;
    for (const part of error.message.split("; ")) {
      const m = /^([\w.]+): (.*)$/s.exec(part);
      if (m && known.includes(relative(m[1]!))) place(m[1]!, m[2]!);
      else place(field, m && relative(m[1]!) === relative(field) ? m[2]! : part);
    }
  } else {
    rest.push(error.message);
  }
  return { fields, other: rest.length ? rest.join("; ") : null };
}

/** The attributes a field's control takes: its id, and the error or hint that describes it. */
export interface ControlProps {
  id: string;
  "aria-invalid"?: true;
  "aria-describedby"?: string;
}

/**
 * A labelled control with its error (or, when there is none, its hint) beneath it, tied to the control as its
 * description, so the label stays the control's name.
 */
export function Field(props: {
  label: ReactNode;
  error?: string | null;
  hint?: ReactNode;
  children: (control: ControlProps) => ReactNode;
}) {
  const id = useId();
  const noteId = `${id}-note`;
  const note = props.error ?? props.hint;
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      {props.children({
        id,
        ...(props.error ? { "aria-invalid": true as const } : {}),
        ...(note ? { "aria-describedby": noteId } : {}),
      })}
      {note && (
        <span id={noteId} className={props.error ? "error" : "muted"} style={{ fontSize: "0.85rem" }}>
          {note}
        </span>
      )}
    </div>
  );
}
