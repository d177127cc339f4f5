// Pounce's web UI: a few views over the JSON API, and live updates over the WebSocket tail.
// No framework and no build step. Every text from the API goes into the page as text
// nodes, never as HTML.

// The token is traded once for an HttpOnly cookie (POST /ui/sign-in), or a one-time code
// from `pounce ui`'s link is: no script here can read either. Requests add this header,
// which pages of other origins cannot (CSRF).
const UI_HEADER = { "x-pounce-ui": "1" };
const STATES = ["created", "running", "completed", "error", "stopped"];
const MAX_LOG_ROWS = 1000;
const PAGE = 100;

const view = () => document.getElementById("view");
// Earlier versions kept the token in localStorage.
localStorage.removeItem("pounce.token");

class Unauthorized extends Error {}

// --- DOM ---------------------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "value") el.value = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

const link = (href, text) => h("a", { href }, text);
const stateBadge = (state) => h("span", { class: `state state-${state}` }, state);
const projectLink = (name) => (name ? link(`#/projects/${encodeURIComponent(name)}`, name) : "");

const pad = (n, w = 2) => String(n).padStart(w, "0");
// Local time to the millisecond: 2026-12-07 08:01:02.345.
function stampText(t) {
  const d = new Date(t);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.` +
    pad(d.getMilliseconds(), 3);
}
const stamp = (t) =>
  t === null || t === undefined || t === ""
    ? ""
    : h("time", { datetime: new Date(t).toISOString() }, stampText(t));
const clock = (t) => (t ? stampText(t).slice(11) : "");

function duration(ms) {
  if (ms === null || ms === undefined) return "";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(3)} s`;
  const m = Math.floor(ms / 60_000);
  if (m < 60) return `${m}m ${((ms % 60_000) / 1000).toFixed(1)}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

// Tables scroll sideways inside their box on a narrow screen, not the page.
function table(columns, rows, empty = "Nothing here yet.", attrs = {}) {
  if (!rows.length) return h("p", { class: "muted" }, empty);
  return h(
    "div",
    { class: "scroll" },
    h(
      "table",
      attrs,
      h("thead", {}, h("tr", {}, columns.map(([title]) => h("th", {}, title)))),
      h(
        "tbody",
        {},
        rows.map((r) =>
          h(
            "tr",
            attrs.rowAttrs?.(r) ?? {},
            // The label heads the cell where a narrow screen stacks a row's cells.
            columns.map(([title, cell]) => h("td", { "data-label": title }, cell(r))),
          )
        ),
      ),
    ),
  );
}

function details(pairs) {
  return h(
    "dl",
    {},
    pairs.filter(Boolean).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
  );
}

// A button that runs `action`, says it is busy meanwhile, and shows what went wrong.
// A shared `note`, placed by the caller, keeps what an action said across a live redraw
// that replaces the toolbar (and may remove the button) before the answer comes.
function actionButton(label, action, attrs = {}, shared = null) {
  const note = shared ?? actionNote();
  const button = h("button", {
    type: "button",
    ...attrs,
    onclick: async () => {
      button.disabled = true;
      note.textContent = "";
      note.classList.remove("problem");
      try {
        const said = await action();
        if (said) note.replaceChildren(said);
      } catch (err) {
        note.textContent = err.message;
        note.classList.add("problem");
      } finally {
        button.disabled = false;
      }
    },
  }, label);
  return h("span", { class: "action" }, button, shared ? null : note);
}

function actionNote() {
  return h("span", { class: "note", role: "status" });
}

// --- API ---------------------------------------------------------------------------

const signedIn = (yes) => (document.getElementById("forget").hidden = !yes);

async function api(path, { method = "GET", body } = {}) {
  const headers = { ...UI_HEADER };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) throw new Unauthorized();
  signedIn(true);
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(answer.error ?? `HTTP ${res.status}`);
  return answer;
}

const query = (params) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
};

// Whether this browser is signed in, and where the token is (the sign-in page's hint).
async function hint() {
  const res = await fetch("/ui/sign-in-hint", { method: "POST", headers: UI_HEADER });
  return await res.json().catch(() => ({ signed_in: false }));
}

// --- live updates over the WebSocket tail --------------------------------------------

// Follows a session (`{session}`) or a project (`{project}`); reconnects after a drop and
// resumes after the last record it had. `onRecord(m)` and `onEnd(state)` are told.
function follow(scope, page, { onRecord, onEnd, status }) {
  let after;
  let done = false;
  let ws;
  const setStatus = (text, on = false) => {
    status.textContent = text;
    status.classList.toggle("on", on);
  };
  const connect = () => {
    // The cookie goes along: the daemon checks it and that this page's origin is its own.
    const q = new URLSearchParams(scope);
    if (after !== undefined) q.set("after", String(after));
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${scheme}://${location.host}/api/ws?${q}`);
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.op === "subscribed") {
        if (after === undefined) after = m.after;
        setStatus("live", true);
      } else if (m.op === "record") {
        after = scope.session ? m.seq : m.cursor;
        onRecord?.(m);
      } else if (m.op === "end") {
        done = true;
        setStatus(`ended: ${m.state}`);
        onEnd?.(m.state);
      } else if (m.op === "error") {
        done = true;
        setStatus(m.error);
      }
    };
    ws.onclose = () => {
      if (done) return;
      setStatus("reconnecting…");
      setTimeout(() => !done && page.current() && connect(), 1000);
    };
  };
  page.cleanup(() => {
    done = true;
    ws?.close();
  });
  connect();
}

// A project's records as they come, newest at the bottom.
function liveLog(scope, page, { onRecord } = {}) {
  const list = h("ol", { class: "log", "data-testid": "log" });
  const status = h("span", { class: "live" }, "connecting…");
  follow(scope, page, {
    status,
    onRecord: (m) => {
      const stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
      list.append(recordRow(m));
      while (list.childElementCount > MAX_LOG_ROWS) list.firstElementChild.remove();
      if (stick) list.scrollTop = list.scrollHeight;
      onRecord?.(m);
    },
  });
  return h("div", {}, h("div", { class: "toolbar" }, status), list);
}

function recordRow(m) {
  const d = m.data ?? {};
  let type = m.type;
  let body;
  switch (m.type) {
    case "print":
      body = String(d.text ?? "");
      break;
    case "state":
      body = h(
        "span",
        {},
        stateBadge(d.state),
        d.error ? h("span", { class: "error" }, ` ${d.error.split("\n")[0]}`) : "",
      );
      break;
    case "call_spec":
      type = "call";
      body = `#${d.seq} ${d.function}(…)`;
      break;
    case "call_attempt_start":
      type = "attempt";
      body = `#${d.seq} attempt ${d.attempt}`;
      break;
    case "call_attempt_complete":
      type = "return";
      body = d.error
        ? h("span", { class: "error" }, `#${d.seq} raised ${d.result}`)
        : `#${d.seq} -> ${d.result}`;
      break;
    default:
      body = JSON.stringify(d);
  }
  return h(
    "li",
    { "data-type": m.type },
    h("span", { class: "time" }, clock(m.time)),
    h("a", { class: "who mono", href: `#/sessions/${m.session_id}` }, m.session_id.slice(-8)),
    h("span", { class: "type" }, type),
    h("span", { class: "text" }, body),
  );
}

// --- filters and paging --------------------------------------------------------------

// The hash's query as an object, and a hash for `path` with these params.
const paramsOf = (params) => Object.fromEntries(params.entries());
const hashFor = (path, params) => `#${path}${query(params)}`;

// `datetime-local` values (local time) to what the API takes.
const isoOf = (local) => (local ? new Date(local).toISOString() : undefined);

// A form of filters that navigates to `path` with them (so that a filtered list has a link).
function filterForm(path, params, fields) {
  const inputs = {};
  const form = h(
    "form",
    {
      class: "filters",
      role: "search",
      onsubmit: (e) => {
        e.preventDefault();
        const next = {};
        for (const [name, el] of Object.entries(inputs)) if (el.value) next[name] = el.value;
        location.hash = hashFor(path, next);
      },
    },
    fields.map(([name, label, make]) => {
      const el = make();
      el.name = name;
      el.value = params[name] ?? "";
      el.setAttribute("aria-label", label);
      // A choice applies at once; typed filters on Enter or the button.
      if (el.tagName === "SELECT") el.addEventListener("change", () => form.requestSubmit());
      inputs[name] = el;
      return h("label", {}, h("span", {}, label), el);
    }),
    h(
      "span",
      { class: "buttons" },
      h("button", { type: "submit" }, "Filter"),
      h("a", { href: hashFor(path, {}) }, "clear"),
    ),
  );
  return form;
}

const input = (attrs = {}) => () => h("input", { type: "text", ...attrs });
const select = (options, all) => () =>
  h(
    "select",
    {},
    h("option", { value: "" }, all),
    options.map((o) => h("option", { value: o }, o)),
  );

function pager(path, params, { total, offset, limit }, shown) {
  const from = total ? offset + 1 : 0;
  const to = offset + shown;
  const at = (o) => hashFor(path, { ...params, offset: o || undefined });
  return h(
    "nav",
    { class: "pager", "aria-label": "Pages" },
    h("span", { class: "muted" }, `${from}–${to} of ${total}`),
    offset > 0 ? link(at(Math.max(0, offset - limit)), "← newer") : null,
    to < total ? link(at(offset + limit), "older →") : null,
  );
}

async function projectNames() {
  const { projects } = await api("/api/projects");
  return projects.map((p) => p.name);
}

// --- views -------------------------------------------------------------------------

async function projectsView(page) {
  const { projects } = await api("/api/projects");
  page.render(
    h("h1", {}, "Projects"),
    table(
      [
        ["Name", (p) => projectLink(p.name)],
        ["Display name", (p) => p.display_name ?? ""],
        ["ID", (p) => h("code", {}, p.project_id)],
      ],
      projects,
      "No projects yet: deploy one with `pounce deploy`.",
    ),
  );
}

async function projectView(page, name) {
  const q = query({ project: name });
  const [{ project }, { deployments }, { triggers }, { connections }, { vars }, { counts }] =
    await Promise.all([
      api(`/api/projects/${encodeURIComponent(name)}`),
      api(`/api/deployments${q}`),
      api(`/api/triggers${q}`),
      api(`/api/connections${q}`),
      api(`/api/vars${q}`),
      api(`/api/projects/${encodeURIComponent(name)}/session-counts`),
    ]);
  const sessions = sessionList(page, { project: name }, 20);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const sessionsLink = (state, text) => link(hashFor("/sessions", { project: name, state }), text);
  page.render(
    h("h1", {}, `Project ${project.name}`, h("span", { class: "muted" }, ` ${project.project_id}`)),
    h(
      "p",
      { class: "summary", "data-testid": "counts" },
      sessionsLink(undefined, `${total} sessions`),
      ": ",
      STATES.filter((s) => counts[s]).flatMap((s, i) => [
        i ? ", " : "",
        sessionsLink(s, `${counts[s]} ${s}`),
      ]),
      counts.error
        ? h("strong", { class: "state-error" }, ` · ${counts.error} failed`)
        : h("span", { class: "muted" }, " · no failures"),
      " · ",
      link(`#/events${q}`, "events"),
    ),
    h("h2", {}, "Deployments"),
    table([
      ["ID", (d) => h("code", {}, d.deployment_id)],
      ["State", (d) => stateBadge(d.state)],
      ["Build", (d) => h("code", {}, d.build_id)],
      ["Created", (d) => stamp(d.created_at)],
    ], deployments),
    h("h2", {}, "Triggers"),
    table([
      ["Name", (t) => link(hashFor("/sessions", { project: name, trigger: t.name }), t.name)],
      ["Source", (t) => t.source_type + (t.schedule ? ` ${t.schedule}` : "")],
      ["Event type", (t) => t.event_type],
      ["Filter", (t) => (t.filter ? h("code", {}, t.filter) : "")],
      ["Call", (t) => (t.call ? h("code", {}, t.call) : "")],
      ["Webhook URL", (t) => (t.webhook_url ? webhookCell(t) : "")],
    ], triggers),
    h("h2", {}, "Start a session"),
    startForm(name, triggers),
    h("h2", {}, "Connections"),
    table(
      [
        ["Name", (c) => c.name],
        ["Integration", (c) => c.integration],
        ["State", (c) => connectionState(c.status)],
        ["Set up", connectionSetup],
      ],
      connections,
      "No connections.",
    ),
    h("h2", {}, "Vars"),
    table(
      [
        ["Name", (v) => h("code", {}, v.name)],
        ["Value", (v) => (v.secret ? h("span", { class: "muted" }, "•••••• (secret)") : v.value)],
        ["Description", (v) => v.description ?? ""],
      ],
      vars,
      "No vars.",
    ),
    h("h2", {}, "Recent sessions ", h("small", {}, sessionsLink(undefined, "all"))),
    sessions.element,
    h("h2", {}, "Live log"),
    liveLog({ project: name }, page, { onRecord: () => sessions.refreshSoon() }),
  );
}

// Credentials for a connection: an OAuth consent (where its integration has a flow) and
// vars as key=value lines (secret ones are stored encrypted, never shown again).
function connectionSetup(c) {
  const ref = encodeURIComponent(c.connection_id);
  const connect = actionButton("Connect (OAuth)", async () => {
    const { url } = await api(`/api/connections/${ref}/oauth/init`, { method: "POST", body: {} });
    return h(
      "a",
      { href: url, target: "_blank", rel: "noopener noreferrer" },
      "open the consent page",
    );
  }, { class: "small" });
  const lines = h("textarea", {
    rows: 2,
    placeholder: "api_key=…",
    "aria-label": `Vars for ${c.name} (key=value, one a line)`,
  });
  const save = actionButton("Set vars", async () => {
    const vars = {};
    for (const line of lines.value.split("\n").map((l) => l.trim()).filter(Boolean)) {
      const eq = line.indexOf("=");
      if (eq <= 0) throw new Error(`"${line.split("=")[0]}": write key=value`);
      vars[line.slice(0, eq).trim()] = line.slice(eq + 1);
    }
    const res = await api(`/api/connections/${ref}/vars`, { method: "PUT", body: { vars } });
    lines.value = "";
    return [`set: ${res.set.map((v) => v.name).join(", ")}`, ...res.warnings].join("; ");
  }, { class: "small" });
  return h("div", { class: "setup" }, connect, lines, save);
}

// A connection's state as its integration says it (a string, or none when it keeps none).
function connectionState(status) {
  if (!status) return h("span", { class: "muted" }, "—");
  const bad = /error|fail|invalid|missing|disconnect/i.test(status);
  const good = /^(ok|connected|active|ready|init(ialized)?)\b/i.test(status);
  const cls = bad ? "state-error" : good ? "state-completed" : "state-stopped";
  return h("span", { class: `state ${cls}` }, status);
}

// A webhook's full URL, a button to copy it, and a form that posts a test event to it.
function webhookCell(t) {
  const url = h("code", { class: "webhook-url" }, t.webhook_url);
  const copy = actionButton("Copy", async () => {
    try {
      await navigator.clipboard.writeText(t.webhook_url);
    } catch {
      // No clipboard permission: select the text, for the user to copy.
      getSelection().selectAllChildren(url);
      return "selected: press Ctrl+C";
    }
    return "copied";
  }, { class: "small" });
  const body = h("textarea", { rows: 3, "aria-label": `Test event body for ${t.name}` });
  body.value = '{"test": true}';
  const send = actionButton("Send test event", async () => {
    JSON.parse(body.value); // a clear error before sending
    // Same origin, so no CORS; without cookies, so the UI's cookie never reaches the event.
    const res = await fetch(new URL(t.webhook_url).pathname, {
      method: "POST",
      credentials: "omit",
      headers: { "content-type": "application/json" },
      body: body.value,
    });
    const id = res.headers.get("AutoKitteh-Event-ID");
    if (!id) throw new Error(`the webhook answered ${res.status}`);
    return h("span", {}, `${res.status}: `, link(`#/events/${id}`, id));
  });
  return h(
    "div",
    { class: "webhook" },
    h("div", { class: "url-line" }, url, copy),
    h("details", {}, h("summary", {}, "send a test event"), body, send),
  );
}

// Starts a session by hand: an entry point of the active deployment, with inputs.
function startForm(project, triggers) {
  const calls = [...new Set(triggers.map((t) => t.call).filter(Boolean))];
  const entry = h("input", {
    type: "text",
    list: "entrypoints",
    placeholder: "main.py:handler",
    "aria-label": "Entry point",
    value: calls[0] ?? "",
  });
  const inputs = h("textarea", { rows: 3, "aria-label": "Inputs (JSON)" });
  inputs.value = "{}";
  const durable = h("input", { type: "checkbox", "aria-label": "Durable" });
  const start = actionButton("Start", async () => {
    let parsed;
    try {
      parsed = JSON.parse(inputs.value || "{}");
    } catch (err) {
      throw new Error(`inputs: not JSON: ${err.message}`);
    }
    const { session_id } = await api("/api/sessions", {
      method: "POST",
      body: { project, entrypoint: entry.value.trim(), inputs: parsed, durable: durable.checked },
    });
    location.hash = `#/sessions/${session_id}`;
  });
  return h(
    "div",
    { class: "start-form" },
    h("datalist", { id: "entrypoints" }, calls.map((c) => h("option", { value: c }))),
    h("label", {}, h("span", {}, "Entry point"), entry),
    h("label", {}, h("span", {}, "Inputs (JSON)"), inputs),
    h("label", { class: "inline" }, durable, " durable"),
    start,
  );
}

const sessionColumns = [
  ["Session", (s) => link(`#/sessions/${s.session_id}`, s.session_id)],
  ["Project", (s) => projectLink(s.project)],
  ["State", (s) => stateBadge(s.state)],
  ["Entry point", (s) => h("code", {}, s.entrypoint)],
  ["Trigger", (s) => s.trigger ?? ""],
  ["Created", (s) => stamp(s.created_at)],
  ["Duration", (s) => duration(s.duration_ms)],
];

// A project's latest sessions with a state filter; `refreshSoon` reloads them (at most
// every 300 ms).
function sessionList(page, filter, limit) {
  let state = filter.state ?? "";
  const holder = h("div", {});
  const stateSelect = h(
    "select",
    {
      "aria-label": "State",
      onchange: () => {
        state = stateSelect.value;
        load().catch(page.fail);
      },
    },
    h("option", { value: "" }, "all states"),
    STATES.map((s) => h("option", { value: s }, s)),
  );
  stateSelect.value = state;
  let pending;
  const load = async () => {
    const { sessions } = await api(`/api/session-search${query({ ...filter, state, limit })}`);
    holder.replaceChildren(table(sessionColumns, sessions, "No sessions."));
  };
  load().catch(page.fail);
  return {
    element: h("div", {}, h("div", { class: "toolbar" }, stateSelect), holder),
    refreshSoon() {
      if (pending) return;
      pending = setTimeout(() => {
        pending = undefined;
        if (page.current()) load().catch(page.fail);
      }, 300);
    },
  };
}

async function sessionsView(page, params) {
  const p = paramsOf(params);
  const offset = Number(p.offset ?? 0) || 0;
  const [names, found] = await Promise.all([
    projectNames(),
    api(`/api/session-search${
      query({
        project: p.project,
        state: p.state,
        entrypoint: p.entrypoint,
        trigger: p.trigger,
        since: isoOf(p.since),
        until: isoOf(p.until),
        q: p.q,
        offset,
        limit: PAGE,
      })
    }`),
  ]);
  page.render(
    h("h1", {}, p.project ? `Sessions of ${p.project}` : "Sessions"),
    filterForm("/sessions", p, [
      ["project", "Project", select(names, "all projects")],
      ["state", "State", select(STATES, "all states")],
      ["entrypoint", "Entry point", input({ placeholder: "main.py:on_" })],
      ["trigger", "Trigger", input({ placeholder: "name" })],
      ["since", "From", input({ type: "datetime-local", step: "1" })],
      ["until", "To", input({ type: "datetime-local", step: "1" })],
      ["q", "Printed text", input({ type: "search", placeholder: "text in prints" })],
    ]),
    pager("/sessions", p, found, found.sessions.length),
    table(sessionColumns, found.sessions, "No sessions.", { "data-testid": "sessions" }),
    found.sessions.length > 20 ? pager("/sessions", p, found, found.sessions.length) : null,
  );
}

const KIND_LABEL = {
  event: "event",
  run: "run",
  resumed: "resumed",
  activity: "activity",
  sleep: "sleep",
  wait: "wait",
  subscribe: "subscribe",
  signal: "signal",
  child: "child",
  step: "step",
  print: "print",
  stop: "stop",
  end: "end",
};

function timelineDetail(e) {
  // In local time, as the rest of the page.
  const text = e.kind === "sleep" && e.until ? `sleeping until ${stampText(e.until)}` : e.text;
  const parts = [text];
  if (e.session_id && e.kind === "child") {
    parts.push(" ", link(`#/sessions/${e.session_id}`, e.session_id));
  }
  if (e.event_id && e.kind !== "wait") parts.push(" ", link(`#/events/${e.event_id}`, e.event_id));
  if (e.event_id && e.kind === "wait") {
    parts.splice(0, 1, e.text.replace(` → got ${e.event_id}`, " → got "));
    parts.push(link(`#/events/${e.event_id}`, e.event_id));
  }
  return h("span", { class: e.kind === "print" ? "print" : "" }, parts);
}

const ONGOING = new Set(["activity", "sleep", "wait"]);

function timelineTable(entries, live) {
  return table(
    [
      ["Start", (e) => stamp(e.start)],
      ["End", (e) => stamp(e.end)],
      [
        "Duration",
        (e) =>
          e.end !== null
            ? duration(e.end - e.start)
            : ONGOING.has(e.kind) && live
            ? h("span", { class: "muted" }, "ongoing")
            : "",
      ],
      ["Step", (e) => h("span", { class: `kind kind-${e.kind}` }, KIND_LABEL[e.kind] ?? e.kind)],
      ["Detail", timelineDetail],
    ],
    entries,
    "No steps yet.",
    {
      class: "timeline",
      "data-testid": "timeline",
      rowAttrs: (e) => ({ "data-kind": e.kind, class: e.error ? "failed" : null }),
    },
  );
}

async function sessionView(page, id) {
  const status = h("span", { class: "live" }, "connecting…");
  const body = h("div", {});
  const live = (s) => s.state === "created" || s.state === "running";
  const said = actionNote();
  let loaded;

  const draw = ({ session: s, timeline }) => {
    const actions = h(
      "div",
      { class: "toolbar actions" },
      live(s)
        ? actionButton("Stop", async () => {
          await api(`/api/sessions/${s.session_id}/stop`, { method: "POST", body: {} });
          return "stop requested";
        }, {}, said)
        : null,
      actionButton("Restart", async () => {
        const { session_id } = await api(`/api/sessions/${s.session_id}/restart`, {
          method: "POST",
        });
        location.hash = `#/sessions/${session_id}`;
      }, { title: "a new session with the same entry point and inputs" }, said),
      s.durable && s.state === "error"
        ? actionButton("Retry failed step", async () => {
          const r = await api(`/api/sessions/${s.session_id}/retry`, { method: "POST", body: {} });
          return `retrying from step ${r.step} (${r.activity})`;
        }, { title: "run the failed activity again; the steps before it are replayed" }, said)
        : null,
      said,
      status,
    );
    body.replaceChildren(h(
      "div",
      {},
      actions,
      details([
        ["State", stateBadge(s.state)],
        ["Project", projectLink(s.project)],
        [
          "Deployment",
          s.deployment_id
            ? link(`#/projects/${encodeURIComponent(s.project ?? "")}`, s.deployment_id)
            : "",
        ],
        s.trigger && [
          "Trigger",
          link(hashFor("/sessions", { project: s.project, trigger: s.trigger }), s.trigger),
        ],
        s.event_id && ["Event", link(`#/events/${s.event_id}`, s.event_id)],
        s.parent_session_id && [
          "Parent",
          link(`#/sessions/${s.parent_session_id}`, s.parent_session_id),
        ],
        ["Entry point", h("code", {}, s.entrypoint)],
        ["Durable", s.durable ? "yes" : "no"],
        ["Created", stamp(s.created_at)],
        ["Started", stamp(s.started_at)],
        s.ended_at && ["Ended", stamp(s.ended_at)],
        s.duration_ms !== null && ["Duration", duration(s.duration_ms)],
        s.runs > 1 && ["Runs", `${s.runs} (resumed by replay: see the timeline)`],
      ]),
      s.state === "completed"
        ? [
          h("h2", {}, "Return value"),
          h("pre", { "data-testid": "return-value" }, s.return_value ?? "None"),
        ]
        : null,
      s.error
        ? [h("h2", {}, "Error"), h("pre", { class: "error", "data-testid": "error" }, s.error)]
        : null,
      h("h2", {}, "Timeline"),
      timelineTable(timeline, live(s)),
    ));
  };

  const load = async () => {
    loaded = await api(`/api/sessions/${id}/timeline`);
    if (page.current()) draw(loaded);
  };
  await load();
  page.render(h("h1", {}, `Session ${loaded.session.session_id}`), body);

  // Records arrive live; the timeline is read again at most every 250 ms.
  let pending;
  const refresh = () => {
    if (pending) return;
    pending = setTimeout(() => {
      pending = undefined;
      if (page.current()) load().catch(page.fail);
    }, 250);
  };
  // Sleeps and waits begin without a log record: while the session lives, read it again
  // every second too.
  const poll = setInterval(() => {
    if (live(loaded.session)) refresh();
    else clearInterval(poll);
  }, 1000);
  page.cleanup(() => clearInterval(poll));
  follow({ session: loaded.session.session_id }, page, {
    status,
    onRecord: refresh,
    onEnd: () => load().catch(page.fail),
  });
}

async function eventsView(page, params) {
  const p = paramsOf(params);
  const offset = Number(p.offset ?? 0) || 0;
  const [names, found] = await Promise.all([
    projectNames(),
    api(`/api/event-search${
      query({
        project: p.project,
        type: p.type,
        trigger: p.trigger,
        since: isoOf(p.since),
        until: isoOf(p.until),
        offset,
        limit: PAGE,
      })
    }`),
  ]);
  page.render(
    h("h1", {}, p.project ? `Events of ${p.project}` : "Events"),
    filterForm("/events", p, [
      ["project", "Project", select(names, "all projects")],
      ["type", "Event type", input({ placeholder: "post" })],
      ["trigger", "Trigger", input({ placeholder: "name" })],
      ["since", "From", input({ type: "datetime-local", step: "1" })],
      ["until", "To", input({ type: "datetime-local", step: "1" })],
    ]),
    pager("/events", p, found, found.events.length),
    table(
      [
        ["Event", (e) => link(`#/events/${e.event_id}`, e.event_id)],
        ["Project", (e) => projectLink(e.project)],
        ["Source", (e) => e.source ?? ""],
        ["Type", (e) => e.event_type],
        [
          "Sessions",
          (
            e,
          ) => (e.session_count ? String(e.session_count) : h("span", { class: "muted" }, "none")),
        ],
        ["Created", (e) => stamp(e.created_at)],
      ],
      found.events,
      "No events.",
      { "data-testid": "events" },
    ),
  );
}

async function eventView(page, id) {
  const [{ event: e }, outcome] = await Promise.all([
    api(`/api/events/${id}`),
    api(`/api/events/${id}/outcome`),
  ]);
  const started = outcome.sessions.length
    ? table(
      [
        ["Session", (s) => link(`#/sessions/${s.session_id}`, s.session_id)],
        ["State", (s) => stateBadge(s.state)],
        ["Entry point", (s) => h("code", {}, s.entrypoint)],
        ["Created", (s) => stamp(s.created_at)],
      ],
      outcome.sessions,
    )
    : h(
      "div",
      { "data-testid": "why-none" },
      h("p", {}, "No session started. Why, by the project's triggers as they are now:"),
      outcome.verdicts.length
        ? h("ul", {}, outcome.verdicts.map((v) => h("li", { "data-outcome": v.outcome }, v.reason)))
        : h("p", { class: "muted" }, "No trigger listens on this event's source."),
    );
  page.render(
    h("h1", {}, `Event ${e.event_id}`),
    h(
      "div",
      { class: "toolbar actions" },
      actionButton("Redispatch", async () => {
        const r = await api(`/api/events/${e.event_id}/redispatch`, { method: "POST" });
        return h(
          "span",
          {},
          "new event ",
          link(`#/events/${r.event_id}`, r.event_id),
          `, ${r.session_ids.length} session(s)`,
        );
      }, { title: "dispatch this event's data again, as a new event" }),
    ),
    details([
      ["Type", e.event_type],
      ["Project", projectLink(outcome.project)],
      ["Source", outcome.source ?? h("code", {}, e.destination_id)],
      ["Created", stamp(e.created_at)],
    ]),
    h("h2", {}, "Sessions started"),
    started,
    h("h2", {}, "Data"),
    h("pre", { "data-testid": "event-data" }, JSON.stringify(e.data, null, 2)),
    h("h2", {}, "Memo"),
    h("pre", {}, JSON.stringify(e.memo, null, 2)),
  );
}

async function loginView(page, problem) {
  const where = await hint().catch(() => ({}));
  const token = h("input", {
    type: "password",
    name: "token",
    autocomplete: "off",
    placeholder: "API token",
    "aria-label": "API token",
  });
  page.render(
    h(
      "form",
      {
        class: "login",
        onsubmit: async (e) => {
          e.preventDefault();
          const value = token.value.trim();
          // Not kept: the field is emptied whatever the answer.
          token.value = "";
          const res = await fetch("/ui/sign-in", {
            method: "POST",
            headers: { ...UI_HEADER, "content-type": "application/json" },
            body: JSON.stringify({ token: value }),
          });
          if (res.ok) return route();
          const body = await res.json().catch(() => ({}));
          loginView(page, res.status === 401 ? "The daemon refused the token." : body.error);
        },
      },
      h("h1", {}, "Sign in"),
      problem ? h("p", { class: "problem" }, problem) : null,
      h(
        "p",
        {},
        "Run ",
        h("code", {}, "pounce ui"),
        " on the daemon's machine: it prints (and opens) a one-time sign-in link.",
      ),
      h(
        "p",
        { class: "muted" },
        "Or paste the API token from ",
        where.token_file
          ? h("code", { "data-testid": "token-file" }, where.token_file)
          : "the token file in the daemon's data directory",
        ". This browser keeps a sign-in cookie for 7 days, out of reach of scripts.",
      ),
      token,
      h("button", { type: "submit" }, "Sign in"),
    ),
  );
  token.focus();
}

// `#/sign-in/<code>`: the code of a sign-in link, traded once for the cookie.
async function signInView(page, code) {
  // Out of the address bar and of this tab's history at once: the code is spent.
  history.replaceState(null, "", "#/");
  const res = await fetch("/ui/sign-in", {
    method: "POST",
    headers: { ...UI_HEADER, "content-type": "application/json" },
    body: JSON.stringify({ code }),
  });
  if (res.ok) {
    signedIn(true);
    return route();
  }
  await loginView(
    page,
    "This sign-in link was used already or has expired: run `pounce ui` for a new one.",
  );
}

// --- routing -----------------------------------------------------------------------

const routes = [
  [/^\/?$/, projectsView],
  [/^\/projects$/, projectsView],
  [/^\/projects\/([^/]+)$/, (p, _q, name) => projectView(p, decodeURIComponent(name))],
  [/^\/sessions$/, (p, q) => sessionsView(p, q)],
  [/^\/sessions\/([\w-]+)$/, (p, _q, id) => sessionView(p, id)],
  [/^\/events$/, (p, q) => eventsView(p, q)],
  [/^\/events\/([\w-]+)$/, (p, _q, id) => eventView(p, id)],
];

let currentPage;
// Asked once per load: whether the cookie is there (no 401 to learn it).
let knownSignedIn;

function route() {
  currentPage?.close();
  const cleanups = [];
  const page = {
    render: (...children) => {
      if (currentPage === page) view().replaceChildren(...children.flat(Infinity).filter((c) => c));
    },
    cleanup: (fn) => cleanups.push(fn),
    current: () => currentPage === page,
    close: () => cleanups.splice(0).forEach((fn) => fn()),
    fail: (err) => {
      if (currentPage !== page) return;
      page.close();
      if (err instanceof Unauthorized) {
        signedIn(false);
        knownSignedIn = false;
        return loginView(page);
      }
      page.render(h("p", { class: "problem" }, err.message));
    },
  };
  currentPage = page;
  const [path, search] = location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(search ?? "");
  const code = /^\/sign-in\/([\w-]+)$/.exec(path);
  if (code) return signInView(page, code[1]).catch(page.fail);
  for (const [pattern, show] of routes) {
    const m = pattern.exec(path);
    if (!m) continue;
    Promise.resolve()
      .then(async () => {
        if (knownSignedIn === undefined) knownSignedIn = !!(await hint()).signed_in;
        if (!knownSignedIn) {
          knownSignedIn = undefined;
          signedIn(false);
          return loginView(page);
        }
        return show(page, params, ...m.slice(1));
      })
      .catch(page.fail);
    return;
  }
  page.render(h("p", { class: "problem" }, `No page at ${location.hash}`));
}

addEventListener("hashchange", route);
document.getElementById("forget").addEventListener("click", async () => {
  await fetch("/ui/sign-out", { method: "POST", headers: UI_HEADER });
  signedIn(false);
  knownSignedIn = undefined;
  route();
});
route();
