// `pounce config where`: where Pounce keeps its files (as AutoKitteh's `ak config where`).
import { dataDir } from "../../core/util/paths.ts";
import { venvsDir } from "../../pythonrt/venvs.ts";
import { parse } from "../args.ts";
import { CliError, EXIT } from "../client.ts";
import { print } from "../output.ts";

export function configCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub !== "where") throw new CliError("usage: pounce config where", EXIT.badRequest);
  const { values } = parse(rest, {});
  const where = { data_home: dataDir(), venvs: venvsDir(dataDir()) };
  print(values, where, () =>
    [
      `Data home directory: ${where.data_home}`,
      `Venvs directory:     ${where.venvs}`,
    ].join("\n"));
  return Promise.resolve();
}
