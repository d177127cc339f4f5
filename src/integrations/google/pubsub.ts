// A Cloud Pub/Sub push message, wrapped (the JSON envelope {message: {data, attributes,
// messageId, publishTime}, subscription}) or unwrapped with metadata (the data as body,
// attributes and ids as headers, as AutoKitteh's subscriptions send it).
export type PushMessage = {
  messageId: string;
  publishTime: string;
  attributes: Record<string, string>;
  data: string;
};

const META = new Set([
  "x-goog-pubsub-message-id",
  "x-goog-pubsub-publish-time",
  "x-goog-pubsub-subscription-name",
]);

export function parsePush(headers: Headers, body: string): PushMessage | { error: string } {
  const headerId = headers.get("x-goog-pubsub-message-id");
  if (headerId) {
    const attributes: Record<string, string> = {};
    headers.forEach((v, k) => {
      if (!k.startsWith("x-") && k !== "authorization" && !META.has(k)) attributes[k] = v;
    });
    return {
      messageId: headerId,
      publishTime: headers.get("x-goog-pubsub-publish-time") ?? "",
      attributes,
      data: body,
    };
  }
  let env: { message?: Record<string, unknown> };
  try {
    env = JSON.parse(body);
  } catch {
    return { error: "body is not a Pub/Sub push envelope (JSON)" };
  }
  const msg = env?.message;
  if (!msg || typeof msg.messageId !== "string" || !msg.messageId) {
    return { error: "missing message.messageId" };
  }
  const attrs = (msg.attributes ?? {}) as Record<string, unknown>;
  return {
    messageId: msg.messageId,
    publishTime: typeof msg.publishTime === "string" ? msg.publishTime : "",
    attributes: Object.fromEntries(
      Object.entries(attrs).filter(([, v]) => typeof v === "string").map((
        [k, v],
      ) => [k.toLowerCase(), v as string]),
    ),
    data: typeof msg.data === "string" ? Buffer.from(msg.data, "base64").toString() : "",
  };
}
