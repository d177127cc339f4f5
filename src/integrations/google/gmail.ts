// Gmail: users.watch on the connection's mailbox, publishing to GMAIL_PUBSUB_TOPIC,
// renewed before its 7-day expiry. A push carries {emailAddress, historyId}; it is a
// `mailbox_change` event with AutoKitteh's data {publish_time, email_address,
// history_id}, plus (Pounce) `messages_added`: the messages added since the connection's
// history id (users.history.list), each {id, threadId, labelIds}.
import { callGoogle, GoogleApiError } from "./api.ts";
import type { PubSubResource } from "./pubsub-watches.ts";

const HOST = "https://gmail.googleapis.com";
const LIFETIME_MS = 7 * 24 * 3600_000;
const RENEW_LEAD_MS = 24 * 3600_000;

export type MailboxWatch = { email: string; expiresAt: number; historyId: string };
type History = {
  history?: { messagesAdded?: { message?: Record<string, unknown> }[] }[];
  nextPageToken?: string;
  historyId?: string;
};

function notice(data: string): { emailAddress?: string; historyId?: string | number } {
  try {
    const v = JSON.parse(data);
    return v && typeof v === "object" ? v : {};
  } catch {
    return {};
  }
}

export const gmailWatch: PubSubResource<MailboxWatch> = {
  integration: "gmail",
  path: "/gmail/notif",
  topicEnv: "GMAIL_PUBSUB_TOPIC",

  target: () => ({ target: "me" }),

  async watch(token, _target, topic) {
    const profile = await callGoogle<{ emailAddress?: string }>(
      token,
      "GET",
      "/gmail/v1/users/me/profile",
      {},
      undefined,
      HOST,
    );
    if (!profile.emailAddress) throw new Error("Gmail answered without an email address");
    const r = await callGoogle<{ historyId?: string; expiration?: string }>(
      token,
      "POST",
      "/gmail/v1/users/me/watch",
      {},
      { topicName: topic },
      HOST,
    );
    const exp = Number(r.expiration);
    return {
      email: profile.emailAddress.toLowerCase(),
      expiresAt: Number.isFinite(exp) && exp > 0 ? exp : Date.now() + LIFETIME_MS,
      historyId: String(r.historyId ?? ""),
    };
  },

  renewAt: (w) => w.expiresAt - RENEW_LEAD_MS,

  describe: (w) => `mailbox ${w.email}`,

  begin: (_token, _target, w) => Promise.resolve(w.historyId),

  matches: (w, msg) => String(notice(msg.data).emailAddress ?? "").toLowerCase() === w.email,

  async changes(token, _target, cursor, msg) {
    const n = notice(msg.data);
    const added: Record<string, unknown>[] = [];
    let latest = cursor;
    let pageToken: string | undefined;
    try {
      do {
        const page = await callGoogle<History>(
          token,
          "GET",
          "/gmail/v1/users/me/history",
          {
            startHistoryId: cursor,
            historyTypes: "messageAdded",
            pageToken,
          },
          undefined,
          HOST,
        );
        for (const h of page.history ?? []) {
          for (const m of h.messagesAdded ?? []) if (m.message) added.push(m.message);
        }
        if (page.historyId) latest = String(page.historyId);
        pageToken = page.nextPageToken;
      } while (pageToken);
    } catch (err) {
      // A history id Gmail no longer keeps: from the push's on.
      if (!(err instanceof GoogleApiError && err.status === 404)) throw err;
      latest = String(n.historyId ?? cursor);
    }
    return {
      changes: [{
        eventType: "mailbox_change",
        data: {
          publish_time: msg.publishTime,
          email_address: n.emailAddress,
          history_id: Number(n.historyId),
          messages_added: added.map(({ id, threadId, labelIds }) => ({ id, threadId, labelIds })),
        },
        identity: `push:${msg.messageId}`,
      }],
      cursor: latest,
    };
  },
};
