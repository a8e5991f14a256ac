"use client";

import { useState } from "react";

/** Keyset pages go forward by cursor; going back pops the cursors we came through. */
export function useKeysetPages() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return {
    cursor: cursors.at(-1) ?? null,
    page: cursors.length,
    canGoBack: cursors.length > 1,
    back: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
    forward: (next: string | null | undefined) => next && setCursors((c) => [...c, next]),
    reset: () => setCursors([null]),
  };
}

export function KeysetPager(props: {
  pages: ReturnType<typeof useKeysetPages>;
  nextCursor: string | null | undefined;
  backLabel: string;
  forwardLabel: string;
}) {
  const { pages } = props;
  return (
    <div className="pager">
      <button type="button" className="secondary" disabled={!pages.canGoBack} onClick={pages.back}>
        {props.backLabel}
      </button>
      <button
        type="button"
        className="secondary"
        disabled={!props.nextCursor}
        onClick={() => pages.forward(props.nextCursor)}
      >
        {props.forwardLabel}
      </button>
      <span className="muted">Page {pages.page}</span>
    </div>
  );
}
