// Google Forms: two watches per connection's form (its FormID var, as in AutoKitteh),
// SCHEMA and RESPONSES, publishing to GOOGLE_FORMS_PUBSUB_TOPIC. A RESPONSES push lists
// the responses submitted since the connection's cursor (a submit time), each a
// `responses` event; a SCHEMA push gets the form, a `schema` event. The data is
// AutoKitteh's: {event_type, form_id, publish_time, response | form}.
import { callGoogle, GoogleApiError } from "./api.ts";
import type { PubSubResource } from "./pubsub-watches.ts";
import type { Change } from "./resource.ts";

const HOST = "https://forms.googleapis.com";
const EVENT_TYPES = ["SCHEMA", "RESPONSES"] as const;
// A watch is renewed this long before it expires (Google grants 7 days).
const RENEW_LEAD_MS = 3600_000;

type Watch = { id: string; expiresAt: number };
export type FormWatches = Record<(typeof EVENT_TYPES)[number], Watch>;
type GoogleWatch = { id?: string; expireTime?: string };
type Response = Record<string, unknown> & { responseId?: string; lastSubmittedTime?: string };

const formPath = (formId: string) => `/v1/forms/${encodeURIComponent(formId)}`;

function asWatch(w: GoogleWatch): Watch {
  if (!w.id) throw new Error("Google Forms answered without a watch id");
  const t = Date.parse(w.expireTime ?? "");
  return { id: w.id, expiresAt: Number.isFinite(t) ? t : Date.now() + 7 * 24 * 3600_000 };
}

async function makeWatch(
  token: string,
  formId: string,
  topic: string,
  eventType: string,
  old: Watch | undefined,
): Promise<Watch> {
  if (old) {
    try {
      return asWatch(
        await callGoogle<GoogleWatch>(
          token,
          "POST",
          `${formPath(formId)}/watches/${encodeURIComponent(old.id)}:renew`,
          {},
          {},
          HOST,
        ),
      );
    } catch (err) {
      // Gone (expired or deleted): a new one.
      if (!(err instanceof GoogleApiError && err.status === 404)) throw err;
    }
  }
  return asWatch(
    await callGoogle<GoogleWatch>(token, "POST", `${formPath(formId)}/watches`, {}, {
      watch: { target: { topic: { topicName: topic } }, eventType },
    }, HOST),
  );
}

export const formsWatches: PubSubResource<FormWatches> = {
  integration: "googleforms",
  path: "/googleforms/notif",
  topicEnv: "GOOGLE_FORMS_PUBSUB_TOPIC",

  target(vars) {
    const id = vars.FormID?.trim();
    return id ? { target: id } : { problem: "no FormID var: no form is watched" };
  },

  async watch(token, formId, topic, old) {
    const out = {} as FormWatches;
    for (const e of EVENT_TYPES) out[e] = await makeWatch(token, formId, topic, e, old?.[e]);
    return out;
  },

  renewAt: (w) => Math.min(w.SCHEMA.expiresAt, w.RESPONSES.expiresAt) - RENEW_LEAD_MS,

  describe: (w) => `form watches ${w.RESPONSES.id} (responses), ${w.SCHEMA.id} (schema)`,

  begin: () => Promise.resolve(new Date().toISOString()),

  matches(w, msg) {
    const id = msg.attributes.watchid;
    return !!id && (w.RESPONSES.id === id || w.SCHEMA.id === id);
  },

  async changes(token, formId, cursor, msg) {
    const base = { form_id: formId, publish_time: msg.publishTime };
    const eventType = msg.attributes.eventtype;
    if (eventType === "SCHEMA") {
      const form = await callGoogle(token, "GET", formPath(formId), {}, undefined, HOST);
      const change: Change = {
        eventType: "schema",
        data: { event_type: "SCHEMA", ...base, form },
        identity: `schema:${form.revisionId ?? msg.messageId}`,
      };
      return { changes: [change], cursor };
    }
    if (eventType !== "RESPONSES") return { changes: [], cursor };
    const responses: Response[] = [];
    let pageToken: string | undefined;
    do {
      const page = await callGoogle<{ responses?: Response[]; nextPageToken?: string }>(
        token,
        "GET",
        `${formPath(formId)}/responses`,
        { filter: `timestamp >= ${cursor}`, pageToken },
        undefined,
        HOST,
      );
      responses.push(...page.responses ?? []);
      pageToken = page.nextPageToken;
    } while (pageToken);
    // Compared as times: RFC 3339 texts with and without fractions do not sort.
    const at = (r: Response) => Date.parse(r.lastSubmittedTime ?? "") || 0;
    responses.sort((a, b) => at(a) - at(b));
    const last = responses.at(-1);
    return {
      changes: responses.map((r) => ({
        eventType: "responses",
        data: { event_type: "RESPONSES", ...base, response: r },
        identity: `response:${r.responseId}:${r.lastSubmittedTime}`,
      })),
      cursor: last && at(last) > Date.parse(cursor) ? last.lastSubmittedTime! : cursor,
    };
  },
};
