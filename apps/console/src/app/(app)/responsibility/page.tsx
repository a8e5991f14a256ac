import { PARTY_LABELS, PLAN_LABELS, PLANS, RESPONSIBILITY_MATRIX } from "@cp/core";

export const metadata = { title: "Shared responsibility" };

export default function ResponsibilityPage() {
  return (
    <>
      <h1>Shared responsibility</h1>
      <p className="muted">Who runs what, for each way the platform is sold.</p>
      <table>
        <caption>Shared-responsibility matrix by deployment type</caption>
        <thead>
          <tr>
            <th scope="col">Area</th>
            {PLANS.map((p) => (
              <th scope="col" key={p}>
                {PLAN_LABELS[p]}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {RESPONSIBILITY_MATRIX.map((row) => (
            <tr key={row.area}>
              <th scope="row">{row.area}</th>
              {PLANS.map((p) => (
                <td key={p}>
                  <span
                    className={`badge ${row[p].party === "provider" ? "ok" : row[p].party === "customer" ? "warn" : ""}`}
                  >
                    {PARTY_LABELS[row[p].party]}
                  </span>
                  <div>{row[p].detail}</div>
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
