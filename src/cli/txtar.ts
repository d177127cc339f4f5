// The txtar archive format (golang.org/x/tools/txtar): a comment, then files, each
// introduced by a line `-- name --`.
export type Txtar = { comment: string; files: { name: string; data: string }[] };

const MARKER = /^-- (.+?) --$/;

export function parseTxtar(text: string): Txtar {
  const lines = text.split("\n");
  const files: Txtar["files"] = [];
  const comment: string[] = [];
  let current: { name: string; lines: string[] } | undefined;
  for (const line of lines) {
    const m = line.match(MARKER);
    if (m) {
      if (current) files.push({ name: current.name, data: current.lines.join("\n") });
      current = { name: m[1].trim(), lines: [] };
    } else if (current) current.lines.push(line);
    else comment.push(line);
  }
  if (current) files.push({ name: current.name, data: current.lines.join("\n") });
  return { comment: comment.join("\n"), files };
}
