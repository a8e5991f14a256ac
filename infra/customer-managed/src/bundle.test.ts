// The downloadable bundle: unpacked with a real tar reader, checked for its files, pinned versions and where the
// license ends up.
import { readFileSync } from "node:fs";
import { Parser, type ReadEntry } from "tar";
import { describe, expect, it } from "vitest";
import { bundleFileName, renderTemplateBundle, templateSlug, type BundleOptions } from "./bundle";
import { EMBEDDED_DEPENDENCIES, EMBEDDED_SOURCES } from "./embed";
import { TEMPLATE_DEPENDENCIES, TEMPLATE_SOURCES } from "./template-files.generated";

const TOKEN = "eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJzdWIiOiJkZXBfMSJ9.c2lnbmF0dXJl";

interface Unpacked {
  path: string;
  type: string;
  mode: number;
  content: string;
}

async function unpack(bundle: Buffer): Promise<Unpacked[]> {
  const entries: Unpacked[] = [];
  await new Promise<void>((done, fail) => {
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        const chunks: Buffer[] = [];
        entry.on("data", (chunk: Buffer) => chunks.push(chunk));
        entry.on("end", () =>
          entries.push({
            path: entry.path,
            type: entry.type,
            mode: entry.mode ?? 0,
            content: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    });
    parser.on("error", fail);
    parser.on("end", () => done());
    parser.end(bundle);
  });
  return entries;
}

const options = (overrides: Partial<BundleOptions> = {}): BundleOptions => ({
  platform: "aws",
  licenseToken: TOKEN,
  deploymentName: "Acme Prod (EU)",
  size: "recommended",
  mysqlVersion: "8.0",
  redis: { enabled: true, memoryGb: 6 },
  region: "eu-west-1",
  ...overrides,
});

const packageSource = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), "utf8");

describe("install template bundle", () => {
  it("names files after the deployment's slug", () => {
    expect(templateSlug("Acme Prod (EU)")).toBe("acme-prod-eu");
    expect(templateSlug("42 Labs")).toBe("labs");
    expect(templateSlug("!!")).toBe("ml-platform");
    expect(templateSlug("A very long deployment name indeed")).toBe("a-very-long-deployme");
    expect(bundleFileName("Acme Prod (EU)", "bare_metal")).toBe("acme-prod-eu-bare-metal-install.tar.gz");
  });

  for (const platform of ["aws", "gcp", "azure"] as const) {
    it(`packs a runnable ${platform} Pulumi project with the license only in setup.sh`, async () => {
      const entries = await unpack(await renderTemplateBundle(options({ platform })));
      const root = `acme-prod-eu-${platform}-install/`;
      expect(entries.map((e) => e.path).sort()).toEqual(
        [
          "",
          "README.md",
          "Pulumi.yaml",
          "config.ts",
          "index.ts",
          "package.json",
          `${platform}.ts`,
          "settings.ts",
          "setup.sh",
          "tsconfig.json",
        ]
          .map((p) => root + p)
          .sort(),
      );
      const file = (name: string) => entries.find((e) => e.path === root + name)!;
      expect(file("setup.sh").mode).toBe(0o755);
      expect(file("index.ts").mode).toBe(0o644);

      // Only this cloud's program and SDK.
      expect(file(`${platform}.ts`).content).toBe(TEMPLATE_SOURCES[`${platform}.ts`]);
      expect(file("index.ts").content).toContain(`readTemplateConfig("${platform}")`);
      const pkg = JSON.parse(file("package.json").content) as { dependencies: Record<string, string> };
      const sdk = { aws: "@pulumi/aws", gcp: "@pulumi/gcp", azure: "@pulumi/azure-native" }[platform];
      expect(Object.keys(pkg.dependencies).sort()).toEqual(["@pulumi/pulumi", sdk, "zod"].sort());
      for (const [name, version] of Object.entries(pkg.dependencies))
        expect(version, name).toMatch(/^\d+\.\d+\.\d+$/);
      expect(pkg.dependencies["@pulumi/pulumi"]).toBe("3.248.0");

      const setup = file("setup.sh").content;
      expect(setup).toContain(`pulumi config set --secret licenseToken '${TOKEN}'`);
      expect(setup).toContain(`pulumi config set platform '${platform}'`);
      expect(setup).toContain("pulumi config set deploymentName 'acme-prod-eu'");
      expect(setup).toContain("pulumi config set size 'recommended'");
      expect(setup).toContain("pulumi config set mysqlVersion '8.0'");
      expect(setup).toContain("pulumi config set --path redis.enabled true");
      expect(setup).toContain("pulumi config set --path redis.memoryGb 6");
      expect(setup).toContain('REGION="${REGION:-eu-west-1}"');
      expect(setup).toContain('pulumi config set --secret databasePassword "$(openssl rand -hex 24)"');
      expect(setup.includes("redisAuthToken")).toBe(platform === "aws");
      expect(setup.includes("GCP_PROJECT")).toBe(platform === "gcp");
      for (const entry of entries) {
        if (entry.path !== `${root}setup.sh`) expect(entry.content, entry.path).not.toContain(TOKEN);
      }
    });
  }

  it("gives bare metal a README and Helm values holding the license, no Pulumi program", async () => {
    const entries = await unpack(await renderTemplateBundle(options({ platform: "bare_metal" })));
    const root = "acme-prod-eu-bare-metal-install/";
    expect(entries.map((e) => e.path).sort()).toEqual([root, `${root}README.md`, `${root}values.yaml`]);
    const values = entries.find((e) => e.path.endsWith("values.yaml"))!.content;
    expect(values).toContain(`license: "${TOKEN}"`);
    expect(values).toContain("enabled: true");
    expect(entries.find((e) => e.path.endsWith("README.md"))!.content).not.toContain(TOKEN);
  });

  it("quotes the license for the shell and asks for the region when none is given", async () => {
    const entries = await unpack(
      await renderTemplateBundle(options({ licenseToken: "it's", region: undefined, redis: undefined })),
    );
    const setup = entries.find((e) => e.path.endsWith("setup.sh"))!.content;
    expect(setup).toContain(`pulumi config set --secret licenseToken 'it'\\''s'`);
    expect(setup).toContain('REGION="${REGION:-}"');
    expect(setup).toContain("pulumi config set --path redis.enabled false");
    expect(setup).not.toContain("redisAuthToken");
  });

  it("refuses options it cannot render, naming the field", async () => {
    await expect(renderTemplateBundle(options({ licenseToken: "" }))).rejects.toThrow(
      /licenseToken is required/,
    );
    await expect(renderTemplateBundle(options({ region: "eu-west-1; rm -rf /" }))).rejects.toThrow(
      /region must/,
    );
    await expect(
      renderTemplateBundle(options({ platform: "oracle" as BundleOptions["platform"] })),
    ).rejects.toThrow(/platform must be/);
  });

  it("embeds the current template sources and versions (rerun scripts/embed-sources.ts if this fails)", () => {
    for (const file of EMBEDDED_SOURCES)
      expect(TEMPLATE_SOURCES[file], file).toBe(packageSource(`src/${file}`));
    const pkg = JSON.parse(packageSource("package.json")) as { dependencies: Record<string, string> };
    for (const name of EMBEDDED_DEPENDENCIES) {
      expect(TEMPLATE_DEPENDENCIES[name], name).toBe(pkg.dependencies[name]!.replace(/^[~^]/, ""));
    }
  });

  it("loads no Pulumi package: the console imports the renderer", () => {
    for (const file of ["bundle.ts", "settings.ts", "template-files.generated.ts"]) {
      const imports = [...packageSource(`src/${file}`).matchAll(/^import .* from "([^"]+)";$/gm)].map(
        (m) => m[1],
      );
      for (const spec of imports) expect(spec, `${file} imports ${spec}`).toMatch(/^(\.\/|node:|zod$)/);
    }
  });
});
