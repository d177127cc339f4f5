// How session log records look on a terminal: one line each, colored when the output is a
// terminal (and NO_COLOR is not set), plain when it is piped.

// A record as the WebSocket tail sends it (docs/protocol.md), minus `op` and `sub`.
export type TailRecord = {
  session_id: string;
  project_id?: string;
  cursor?: number;
  seq: number;
  type: string;
  time: string | null;
  data: Record<string, unknown>;
};

// A record as GET /api/sessions/:ref/log answers: the data's fields inline, a call's step
// number as `step`.
export type LogRecordJson = Record<string, unknown> & { seq: number; type: string; t: string };

export function fromLogJson(sessionId: string, r: LogRecordJson): TailRecord {
  const { seq, type, t, step, ...data } = r;
  return {
    session_id: sessionId,
    seq,
    type,
    time: t,
    data: step === undefined ? data : { ...data, seq: step },
  };
}

type Paint = (text: string) => string;
export type Style = {
  dim: Paint;
  bold: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  cyan: Paint;
};

const sgr = (code: number): Paint => (text) => `\x1b[${code}m${text}\x1b[0m`;
const plain: Paint = (text) => text;

export function style(stream: { isTTY?: boolean }): Style {
  const on = process.env.FORCE_COLOR
    ? process.env.FORCE_COLOR !== "0"
    : !!stream.isTTY && !process.env.NO_COLOR && process.env.TERM !== "dumb";
  if (!on) return { dim: plain, bold: plain, red: plain, green: plain, yellow: plain, cyan: plain };
  return {
    dim: sgr(2),
    bold: sgr(1),
    red: sgr(31),
    green: sgr(32),
    yellow: sgr(33),
    cyan: sgr(36),
  };
}

export function paintState(s: Style, state: string): string {
  if (state === "completed") return s.green(state);
  if (state === "error") return s.red(state);
  if (state === "stopped") return s.yellow(state);
  return s.cyan(state);
}

const LABEL_WIDTH = 8;

// `timestamps: false` (`--no-timestamps`) leaves the time out.
export function formatRecord(r: TailRecord, s: Style, timestamps = true): string {
  if (!timestamps) r = { ...r, time: null };
  const d = r.data;
  const label = (text: string) => text.padEnd(LABEL_WIDTH);
  const head = r.time ? `${s.dim(r.time)} ` : "";
  const indent = " ".repeat(head.length ? r.time!.length + 1 + LABEL_WIDTH : LABEL_WIDTH);
  const lines = (text: string) => text.split("\n").join(`\n${indent}`);
  switch (r.type) {
    case "print":
      return head + label("print") + lines(String(d.text ?? ""));
    case "state": {
      const state = String(d.state);
      const error = typeof d.error === "string" ? `: ${lines(d.error)}` : "";
      return head + s.bold(label("state")) + paintState(s, state) + error;
    }
    case "call_spec": {
      const args = [
        ...(Array.isArray(d.args) ? d.args.map(String) : []),
        ...Object.entries((d.kwargs ?? {}) as Record<string, unknown>).map(([k, v]) => `${k}=${v}`),
      ];
      return head + label("call") + `#${d.seq} ${s.cyan(String(d.function))}(${args.join(", ")})`;
    }
    case "call_attempt_start":
      return head + label("attempt") + `#${d.seq} attempt ${d.attempt}`;
    case "call_attempt_complete":
      return head + label("return") +
        (d.error ? s.red(`#${d.seq} raised ${d.result}`) : `#${d.seq} -> ${d.result}`);
    case "wait":
      return head + s.cyan(label("wait")) + String(d.text ?? "");
    case "stop_request":
      return head + s.yellow(label("stop")) + String(d.reason ?? "");
    default:
      return head + label(r.type) + JSON.stringify(d);
  }
}
