// What a Google push-notification source watches (a calendar's events, a drive's
// changes): how a channel on it is opened and closed, and how the changes a notification
// announces are listed from a cursor (Google's notifications carry no data).

// A change as an event, with what names it for deduplication.
export type Change = { eventType: string; data: Record<string, unknown>; identity: string };

// Google's Channel resource, as sent to a watch call.
export type ChannelRequest = {
  id: string;
  token: string;
  type: "web_hook";
  address: string;
  expiration: string;
};

export type Opened = { resourceId: string; expiration?: string | number };

export interface WatchedResource {
  readonly integration: string;
  // Where Google posts notifications (AutoKitteh's path).
  readonly path: string;
  // The channel lifetime asked for (Google may grant less).
  readonly lifetimeMs: number;
  // channels.stop of the resource's API.
  readonly stopPath: string;
  // What a connection's channel watches (a calendar id), or why it has none.
  target(vars: Record<string, string>): { target: string } | { problem: string };
  // A cursor from now on: later changes are listed from it.
  begin(token: string, target: string): Promise<string>;
  watch(token: string, target: string, cursor: string, channel: ChannelRequest): Promise<Opened>;
  // The changes since `cursor` and the cursor after them; undefined when Google no longer
  // knows the cursor (410 Gone): the source begins anew.
  changes(
    token: string,
    target: string,
    cursor: string,
  ): Promise<{ changes: Change[]; cursor: string } | undefined>;
}
