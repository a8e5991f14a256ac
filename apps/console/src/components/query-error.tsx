"use client";

export function QueryError({ error }: { error: { message: string } }) {
  return (
    <p role="alert" className="error">
      {error.message}
    </p>
  );
}
