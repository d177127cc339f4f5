// A GitHub delivery as Pounce events: the payload as GitHub sent it plus its
// `slash_commands`, and one `slash_command` event per command (AutoKitteh's shapes).
import { slashCommandsIn } from "./slash-commands.ts";

export type GitHubEvent = { eventType: string; data: Record<string, unknown> };

export function githubEvents(eventType: string, payload: Record<string, unknown>): GitHubEvent[] {
  const commands = slashCommandsIn(eventType, payload);
  const data = { ...payload, slash_commands: commands };
  return [
    { eventType, data },
    ...commands.map((command) => ({
      eventType: "slash_command",
      data: { command, actual_data: data, actual_event_type: eventType },
    })),
  ];
}
