// Opaque keyset cursors over (createdAt, id), ordered newest first.
export interface KeysetCursor {
  at: Date;
  id: string;
}

export function encodeCursor(c: KeysetCursor): string {
  // ids and ISO dates are ASCII, so btoa is enough and works in browsers too.
  return btoa(`${c.at.toISOString()}|${c.id}`).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function decodeCursor(cursor: string): KeysetCursor | null {
  let text: string;
  try {
    text = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    return null;
  }
  const sep = text.indexOf("|");
  if (sep < 0) return null;
  const at = new Date(text.slice(0, sep));
  const id = text.slice(sep + 1);
  if (Number.isNaN(at.getTime()) || !id) return null;
  return { at, id };
}
