// `pounce doctor`: the data dir, the Python interpreter and its version, the py-sdk and
// the venvs with their sizes. Asks the daemon; when it is not running, looks for itself.
import { dataDir } from "../../core/util/paths.ts";
import { normalize } from "../../pythonrt/requirements.ts";
import {
  type DefaultEnvironmentJson,
  type EnvironmentJson,
  environmentJson,
  type VenvJson,
} from "../../pythonrt/environment.ts";
import { findPython } from "../../pythonrt/python.ts";
import { venvsDir } from "../../pythonrt/venvs.ts";
import { parse } from "../args.ts";
import { Client, CliError } from "../client.ts";
import { print } from "../output.ts";

type Doctor = EnvironmentJson & {
  daemon: { url: string; version?: string; runtime?: string; error?: string };
};

export async function doctorCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {});
  const client = new Client(values);
  let report: Doctor;
  try {
    report = await client.get<Doctor>("/api/doctor");
  } catch (err) {
    if (!(err instanceof CliError) || !err.message.startsWith("cannot reach")) throw err;
    const dir = dataDir();
    let python;
    try {
      python = findPython();
    } catch (e) {
      python = e as Error;
    }
    report = {
      daemon: { url: client.url, error: "not running" },
      ...environmentJson(dir, python, venvsDir(dir), null),
    };
  }
  if ("error" in report.python) process.exitCode = 1;
  print(values, report, () => doctorText(report));
}

function doctorText(r: Doctor): string {
  const d = r.daemon;
  const python = "error" in r.python
    ? `error: ${r.python.error}`
    : `${r.python.executable} (Python ${r.python.version})`;
  const total = r.venvs.reduce((n, v) => n + v.bytes, 0);
  return [
    `daemon:   ${
      d.error ? `${d.error} at ${d.url}` : `${d.url} (pounce ${d.version}, ${d.runtime})`
    }`,
    `data dir: ${r.data_dir}`,
    `python:   ${python}${d.error ? " (found by the CLI)" : ""}`,
    `py-sdk:   ${r.sdk_dir}`,
    ...defaultEnvironmentText(r.default_environment),
    `venvs:    ${r.venvs_dir} (${r.venvs.length}, ${formatBytes(total)})`,
    ...r.venvs.map((v) => `  ${venvLine(v)}`),
  ].join("\n");
}

// The packages of the list with their versions, then what could not be installed.
function defaultEnvironmentText(e: DefaultEnvironmentJson | null): string[] {
  if (!e) return ["default environment: none (POUNCE_BATTERIES is empty)"];
  if (!e.built) {
    return [
      `default environment: not built yet (built at the first deploy that imports one of its ${e.packages.length} packages)`,
    ];
  }
  const version = new Map((e.installed ?? []).map((d) => [normalize(d.name), d.version]));
  const failed = e.failed ?? [];
  const held = e.packages.filter((p) => version.has(normalize(p)));
  const others = (e.installed?.length ?? 0) - held.length;
  return [
    `default environment: ${e.path} (${held.length} of ${e.packages.length} packages)`,
    ...held.map((p) => `  ${p}==${version.get(normalize(p))}`),
    ...(others > 0 ? [`  and ${others} packages they depend on (--json lists them)`] : []),
    ...(e.unreachable ? [`  pip could not reach a package index: ${e.unreachable}`] : []),
    ...failed.map((f) => `  not installed: ${f.package}: ${f.reason}`),
  ];
}

export function venvLine(v: VenvJson): string {
  const use = v.in_use === null ? "" : v.in_use ? `used by ${v.projects.join(",")}` : "unused";
  return [
    v.key,
    formatBytes(v.bytes),
    v.complete ? `Python ${v.python_version}` : "incomplete",
    use,
    v.default_environment ? "default environment" : v.requirements.join(" "),
  ].filter(Boolean).join("  ");
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
