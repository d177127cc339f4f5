// Slash commands in GitHub comments, issues, pull requests, reviews and discussions: lines
// that start with "/" outside code fences, as AutoKitteh finds them.
export type SlashCommand = { name: string; args: string[]; raw: string };

export const MAX_COMMANDS = 16;

type Obj = Record<string, unknown>;
const field = (v: unknown, key: string): unknown =>
  v && typeof v === "object" ? (v as Obj)[key] : undefined;

// Where each event type carries the text a person wrote.
const TEXT_OF: Record<string, (payload: Obj) => unknown> = {
  commit_comment: (p) => field(p.comment, "body"),
  discussion: (p) => field(p.discussion, "body"),
  discussion_comment: (p) => field(p.comment, "body"),
  issue_comment: (p) => field(p.comment, "body"),
  issues: (p) => field(p.issue, "body"),
  pull_request: (p) => field(p.pull_request, "body"),
  pull_request_review: (p) => field(p.review, "body"),
  pull_request_review_comment: (p) => field(p.comment, "body"),
};

export function parseSlashCommands(markdown: string): SlashCommand[] {
  const commands: SlashCommand[] = [];
  let inFence = false;
  for (const line of markdown.split("\n")) {
    const trimmed = line.trim();
    if (trimmed.startsWith("```") || trimmed.startsWith("~~~")) {
      inFence = !inFence;
      continue;
    }
    if (inFence || !line.startsWith("/")) continue;
    const raw = line.trimEnd();
    const [first, ...args] = raw.split(/\s+/);
    if (first === "/") continue;
    commands.push({ name: first.slice(1), args, raw });
    if (commands.length === MAX_COMMANDS) break;
  }
  return commands;
}

export function slashCommandsIn(eventType: string, payload: Obj): SlashCommand[] {
  const text = TEXT_OF[eventType]?.(payload);
  return typeof text === "string" ? parseSlashCommands(text) : [];
}
