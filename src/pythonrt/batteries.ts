// The default environment ("batteries"): the packages AutoKitteh installs into every
// workflow's environment (its SDK's `all` extra). Pounce builds them once, into a venv of
// their own, the first time a deployed project imports one of them, and shares it. This
// module says which imports need it, installs what can be installed, and records what it
// holds and what could not be installed (venvs.ts builds and layers the venvs).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Python } from "./python.ts";
import { normalize, requirementNames } from "./requirements.ts";

// AutoKitteh's `all` extra (runtimes/pythonrt/py-sdk/pyproject.toml of autokitteh 0.6.0)
// without its version pins: the index's newest release of each. A project that needs
// another version pins it in its requirements.txt, which comes first.
export const AUTOKITTEH_BATTERIES = [
  "anthropic",
  "asana",
  "atlassian-python-api",
  "auth0-python",
  "azure-identity",
  "boto3",
  "discord.py",
  "google-api-python-client",
  "google-auth-httplib2",
  "google-auth-oauthlib",
  "google-generativeai",
  "hubspot-api-client",
  "kubernetes",
  "msgraph-sdk",
  "openai",
  "PyGithub",
  "simple-salesforce",
  "slack-sdk",
  "tenacity",
  "twilio",
  "beautifulsoup4",
  "grpcio",
  "grpcio-reflection",
  "PyYAML",
  "requests",
  // Not in the extra, but in AutoKitteh's environments through openai, and imported by
  // projects as such; this index's openai depends on httpx's fork (httpx2) instead.
  "httpx",
];

// The list in force: POUNCE_BATTERIES (package names separated by spaces or commas; empty
// for no default environment) or AutoKitteh's.
export function batteryList(env: Record<string, string | undefined> = process.env): string[] {
  const set = env.POUNCE_BATTERIES;
  if (set === undefined) return AUTOKITTEH_BATTERIES;
  return set.split(/[\s,]+/).filter(Boolean);
}

// The venv for this list under this interpreter.
export function batteriesKey(python: Python, packages: string[]): string {
  return createHash("sha256")
    .update(`batteries\0${python.executable}\0${python.version}\0`)
    .update(packages.map(normalize).sort().join("\0"))
    .digest("hex")
    .slice(0, 16);
}

// An imported module and the package that provides it, when that package is not on the
// list itself but comes with one that is (`via`).
type Provider = { package: string; via?: string };

// Import names that differ from the package name. A package of the list not named here
// provides the module of its own name (`tenacity`, `openai`, `foo-bar` -> `foo_bar`).
const MODULES: Record<string, Provider> = {
  atlassian: { package: "atlassian-python-api" },
  auth0: { package: "auth0-python" },
  "azure.identity": { package: "azure-identity" },
  botocore: { package: "botocore", via: "boto3" },
  discord: { package: "discord.py" },
  googleapiclient: { package: "google-api-python-client" },
  "google.auth": { package: "google-auth", via: "google-api-python-client" },
  "google.oauth2": { package: "google-auth", via: "google-api-python-client" },
  google_auth_httplib2: { package: "google-auth-httplib2" },
  google_auth_oauthlib: { package: "google-auth-oauthlib" },
  "google.generativeai": { package: "google-generativeai" },
  hubspot: { package: "hubspot-api-client" },
  msgraph: { package: "msgraph-sdk" },
  github: { package: "PyGithub" },
  simple_salesforce: { package: "simple-salesforce" },
  slack_sdk: { package: "slack-sdk" },
  bs4: { package: "beautifulsoup4" },
  grpc: { package: "grpcio" },
  grpc_reflection: { package: "grpcio-reflection" },
  yaml: { package: "PyYAML" },
};

// The modules the packages of the list provide.
export function providers(packages: string[]): Map<string, Provider> {
  const listed = new Map(packages.map((p) => [normalize(p), p]));
  const out = new Map<string, Provider>();
  const named = new Set<string>();
  for (const [module, p] of Object.entries(MODULES)) {
    named.add(normalize(p.package));
    const listedAs = listed.get(normalize(p.via ?? p.package));
    if (listedAs) out.set(module, p.via ? p : { package: listedAs });
  }
  for (const [norm, p] of listed) {
    if (!named.has(norm)) out.set(norm.replace(/[-.]/g, "_"), { package: p });
  }
  return out;
}

export type Need = { module: string; package: string; via?: string };

// What the project's imports need from the default environment: each imported module a
// package of the list provides, unless the project's requirements.txt names that package.
export function neededBatteries(
  imports: string[],
  packages: string[],
  requirements: string | null,
): Need[] {
  const provided = providers(packages);
  const own = new Set(requirements ? requirementNames(requirements).map(normalize) : []);
  const needs = new Map<string, Need>();
  for (const name of imports) {
    const parts = name.split(".");
    for (let n = parts.length; n > 0; n--) {
      const module = parts.slice(0, n).join(".");
      const p = provided.get(module);
      if (!p) continue;
      if (!own.has(normalize(p.package)) && !own.has(normalize(p.via ?? p.package))) {
        needs.set(module, { module, ...p });
      }
      break;
    }
  }
  return [...needs.values()].sort((a, b) => a.module.localeCompare(b.module));
}

// A cheap first look before scanning with Python: whether any of the sources mentions a
// module the list provides. Most projects that mention none never need the scan.
export function mentionsBatteries(sources: string[], packages: string[]): boolean {
  const names = [...providers(packages).keys()].map((m) => m.split(".")[0]);
  if (!names.length) return false;
  const re = new RegExp(`\\b(${[...new Set(names)].join("|")})\\b`);
  return sources.some((s) => re.test(s));
}

// What a built default environment holds, in its venv as RECORD_FILE.
export type BatteriesRecord = {
  packages: string[];
  installed: { name: string; version: string }[];
  failed: { package: string; reason: string }[];
  // Why pip reached no package index at all, when it did not.
  unreachable: string | null;
};

export const RECORD_FILE = "batteries.json";
// In the venv's site-packages, for the runner's message about a missing module.
export const HINTS_FILE = "_pounce_batteries.json";

export function readRecord(venvDir: string): BatteriesRecord | null {
  try {
    return JSON.parse(readFileSync(join(venvDir, RECORD_FILE), "utf8"));
  } catch {
    return null;
  }
}

export type Pip = (args: string[], onLine: (line: string) => void) => Promise<{
  code: number | null;
  lines: string[];
}>;

const UNREACHABLE =
  /Could not fetch URL .*connection error|NewConnectionError|Failed to establish a new connection|Name or service not known|Temporary failure in name resolution|Network is unreachable|ConnectTimeout|ProxyError|SSLError/;

// Installs what can be installed: all at once, and when that fails, one by one, so that
// one package the index lacks does not keep out the others.
export async function installBatteries(
  pip: Pip,
  packages: string[],
  onLine: (line: string) => void,
): Promise<BatteriesRecord> {
  const install = ["install", "--no-input", "--disable-pip-version-check"];
  const pipLine = (line: string) => onLine(`[pip] ${line}`);
  const failed: BatteriesRecord["failed"] = [];
  let unreachable: string | null = null;
  const all = await pip([...install, ...packages], pipLine);
  if (all.code !== 0) {
    onLine("[exec] build_venv: not every package could be installed, trying them one by one");
    let connectionError: string | undefined;
    for (const p of packages) {
      const one = await pip([...install, p], pipLine);
      if (one.code === 0) continue;
      const reason = pipReason(one.lines);
      failed.push({ package: p, reason });
      connectionError ??= one.lines.find((l) => UNREACHABLE.test(l));
      onLine(`[warn] build_venv: ${p} could not be installed: ${reason}`);
    }
    if (failed.length === packages.length && !connectionError) {
      // Without retries (PIP_RETRIES=0) pip names a connection error only at -vv.
      const probe = await pip([...install, "-vv", packages[0]], () => {});
      connectionError = probe.lines.find((l) => UNREACHABLE.test(l));
    }
    if (failed.length === packages.length && connectionError) {
      unreachable = shorten(connectionError);
      onLine(`[warn] build_venv: pip could not reach a package index (${unreachable})`);
    }
  }
  const list = await pip(["list", "--format=json", "--disable-pip-version-check"], () => {});
  const json = list.lines.find((l) => l.startsWith("["));
  const installed = (json ? JSON.parse(json) as { name: string; version: string }[] : [])
    .filter((d) => !["pip", "setuptools", "wheel"].includes(normalize(d.name)))
    .sort((a, b) => normalize(a.name).localeCompare(normalize(b.name)));
  return { packages, installed, failed, unreachable };
}

// pip's own reason, in one line.
function pipReason(lines: string[]): string {
  const errors = lines.filter((l) => l.startsWith("ERROR:"));
  const line = errors.at(-1) ?? lines.at(-1) ?? "pip failed";
  return shorten(line.replace(/^ERROR:\s*/, ""));
}

function shorten(line: string): string {
  const trimmed = line.trim();
  const m = trimmed.match(/(Failed to establish a new connection: [^']*)/);
  const text = m ? m[1] : trimmed;
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

// The modules of the list that are not in the environment, and why.
export function missingModules(
  record: BatteriesRecord,
): Map<string, { package: string; reason: string }> {
  const installed = new Set(record.installed.map((d) => normalize(d.name)));
  const reasons = new Map(record.failed.map((f) => [normalize(f.package), f.reason]));
  const out = new Map<string, { package: string; reason: string }>();
  for (const [module, p] of providers(record.packages)) {
    if (installed.has(normalize(p.package))) continue;
    const reason = record.unreachable
      ? "no package index could be reached"
      : reasons.get(normalize(p.via ?? p.package)) ?? "not installed";
    out.set(module, { package: p.package, reason });
  }
  return out;
}

// Deploy output for what the project imports and the default environment lacks.
export function batteryWarnings(needs: Need[], record: BatteriesRecord): string[] {
  const missing = missingModules(record);
  const lines: string[] = [];
  if (record.unreachable && needs.some((n) => missing.has(n.module))) {
    lines.push(
      `[warn] the default environment is empty: pip could not reach a package index (${record.unreachable})`,
    );
  }
  for (const n of needs) {
    const m = missing.get(n.module);
    if (!m) continue;
    lines.push(
      `[warn] ${n.module} (package ${m.package}) is not in the default environment: ` +
        (record.unreachable
          ? "no package index could be reached"
          : `pip could not install it (${m.reason})`),
    );
  }
  return lines;
}
