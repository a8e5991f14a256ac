import Link from "next/link";

export default function NotFound() {
  return (
    <main className="auth-card">
      <h1>Not found</h1>
      <p>There is nothing here, or you do not have access to it.</p>
      <Link href="/">Back to the console</Link>
    </main>
  );
}
