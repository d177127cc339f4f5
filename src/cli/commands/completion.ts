// `pounce completion bash|zsh|fish`: a script that completes commands, subcommands and the
// flags every command takes. Install: `source <(pounce completion bash)` in ~/.bashrc,
// `pounce completion zsh > "${fpath[1]}/_pounce"`, or
// `pounce completion fish > ~/.config/fish/completions/pounce.fish`.
import { globalOptions, parse } from "../args.ts";
import { CliError, EXIT } from "../client.ts";
import { COMMANDS } from "../command-table.ts";

const GLOBAL_FLAGS = Object.keys(globalOptions).map((name) => `--${name}`).join(" ");

function bash(): string {
  const cases = COMMANDS.filter((c) => c.subcommands).map((c) =>
    `    ${c.name}) subs="${c.subcommands!.join(" ")}" ;;`
  ).join("\n");
  return `# pounce completion for bash: source <(pounce completion bash)
_pounce() {
  local cur=\${COMP_WORDS[COMP_CWORD]} subs=""
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "${GLOBAL_FLAGS}" -- "$cur"))
    return
  fi
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "${COMMANDS.map((c) => c.name).join(" ")}" -- "$cur"))
    return
  fi
  case \${COMP_WORDS[1]} in
${cases}
  esac
  if [[ $COMP_CWORD -eq 2 && -n $subs ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _pounce pounce
`;
}

// zsh runs the bash function through its bash-completion layer.
function zsh(): string {
  return `#compdef pounce
autoload -U +X bashcompinit && bashcompinit
${bash()}`;
}

function fish(): string {
  const quote = (text: string) => `'${text.replaceAll("'", "\\'")}'`;
  const lines = ["# pounce completion for fish", "complete -c pounce -f"];
  for (const c of COMMANDS) {
    lines.push(
      `complete -c pounce -n __fish_use_subcommand -a ${c.name} -d ${quote(c.what)}`,
    );
    if (c.subcommands) {
      lines.push(
        `complete -c pounce -n '__fish_seen_subcommand_from ${c.name}' -a ${
          quote(c.subcommands.join(" "))
        }`,
      );
    }
  }
  for (const name of Object.keys(globalOptions)) lines.push(`complete -c pounce -l ${name}`);
  return lines.join("\n") + "\n";
}

const SHELLS: Record<string, () => string> = { bash, zsh, fish };

export function completionCommand(argv: string[]): Promise<void> {
  const { positionals } = parse(argv, {});
  const shell = positionals[0];
  if (positionals.length !== 1 || !Object.hasOwn(SHELLS, shell)) {
    throw new CliError("usage: pounce completion bash|zsh|fish", EXIT.badRequest);
  }
  process.stdout.write(SHELLS[shell]());
  return Promise.resolve();
}
