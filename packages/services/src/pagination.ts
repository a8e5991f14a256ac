import { badRequest, decodeCursor, encodeCursor } from "@cp/core";

export interface KeysetPage {
  limit: number;
  cursor?: string | null;
}

/** The where-clause for rows after `cursor` in (createdAt desc, id desc) order; empty for the first page. */
export function keysetAfter(cursor: string | null | undefined) {
  if (!cursor) return {};
  const c = decodeCursor(cursor);
  if (!c) throw badRequest("cursor: start again from the first page.", "cursor");
  return { OR: [{ createdAt: { lt: c.at } }, { createdAt: c.at, id: { lt: c.id } }] };
}

/** Rows were fetched with `take: limit + 1`: the extra one only says whether there is a next page. */
export function keysetResult<T extends { createdAt: Date; id: string }>(rows: T[], limit: number) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null,
  };
}
