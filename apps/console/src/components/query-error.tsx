"use client";

interface ErrorLike {
  message: string;
  data?: { code?: string } | null;
}

export function QueryError({ error }: { error: ErrorLike }) {
  if (error.data?.code === "UNAUTHORIZED") {
    return (
      <p role="alert" className="error">
        Your session has expired.{" "}
        <a
          href={`/signin?callbackUrl=${encodeURIComponent(typeof window === "undefined" ? "/" : window.location.pathname)}`}
        >
          Sign in again
        </a>
        .
      </p>
    );
  }
  return (
    <p role="alert" className="error">
      {error.message}
    </p>
  );
}
