// Pounce's web UI: a few views over the JSON API, and live logs over the WebSocket tail.
// No framework and no build step. Every text from the API goes into the page as text
// nodes, never as HTML.

// The token is traded once for an HttpOnly cookie (POST /ui/sign-in): no script here can
// read it. Requests add this header, which pages of other origins cannot (CSRF).
const UI_HEADER = { "x-pounce-ui": "1" };
const STATES = ["created", "running", "completed", "error", "stopped"];
const MAX_LOG_ROWS = 1000;

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
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

const link = (href, text) => h("a", { href }, text);
const stateBadge = (state) => h("span", { class: `state state-${state}` }, state);
const when = (iso) => (iso ? new Date(iso).toLocaleString() : "");
const shortTime = (iso) => (iso ? new Date(iso).toLocaleTimeString() : "");

function table(columns, rows, empty = "Nothing here yet.") {
  if (!rows.length) return h("p", { class: "muted" }, empty);
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, columns.map(([title]) => h("th", {}, title)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, columns.map(([, cell]) => h("td", {}, cell(r)))))),
  );
}

// --- API ---------------------------------------------------------------------------

const signedIn = (yes) => (document.getElementById("forget").hidden = !yes);

async function api(path) {
  const res = await fetch(path, { headers: UI_HEADER });
  if (res.status === 401) throw new Unauthorized();
  signedIn(true);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body;
}

const query = (params) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
};

// --- live log over the WebSocket tail ----------------------------------------------

// Follows a session (`{session}`) or a project (`{project}`); reconnects after a drop and
// resumes after the last record it showed.
function liveLog(scope, page, { onRecord, showSession = false } = {}) {
  const list = h("ol", { class: "log", "data-testid": "log" });
  const status = h("span", { class: "live" }, "connecting…");
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
        append(m);
        onRecord?.(m);
      } else if (m.op === "end") {
        done = true;
        setStatus(`ended: ${m.state}`);
      } else if (m.op === "error") {
        done = true;
        setStatus(m.error);
      }
    };
    ws.onclose = () => {
      if (done) return;
      setStatus("reconnecting…");
      setTimeout(() => !done && connect(), 1000);
    };
  };
  const append = (m) => {
    const stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
    list.append(recordRow(m, showSession));
    while (list.childElementCount > MAX_LOG_ROWS) list.firstElementChild.remove();
    if (stick) list.scrollTop = list.scrollHeight;
  };
  page.cleanup(() => {
    done = true;
    ws?.close();
  });
  connect();
  return h("div", {}, h("div", { class: "toolbar" }, status), list);
}

function recordRow(m, showSession) {
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
        d.error ? h("span", { class: "error" }, ` ${d.error}`) : "",
      );
      break;
    case "call_spec": {
      type = "call";
      const kwargs = Object.entries(d.kwargs ?? {}).map(([k, v]) => `${k}=${v}`);
      body = `#${d.seq} ${d.function}(${[...(d.args ?? []), ...kwargs].join(", ")})`;
      break;
    }
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
    h("span", { class: "time" }, shortTime(m.time)),
    showSession
      ? h("a", { class: "who mono", href: `#/sessions/${m.session_id}` }, m.session_id.slice(-8))
      : null,
    h("span", { class: "type" }, type),
    h("span", { class: "text" }, body),
  );
}

// --- views -------------------------------------------------------------------------

async function projectsView(page) {
  const { projects } = await api("/api/projects");
  page.render(
    h("h1", {}, "Projects"),
    table(
      [
        ["Name", (p) => link(`#/projects/${encodeURIComponent(p.name)}`, p.name)],
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
  const [{ project }, { deployments }, { triggers }] = await Promise.all([
    api(`/api/projects/${encodeURIComponent(name)}`),
    api(`/api/deployments${q}`),
    api(`/api/triggers${q}`),
  ]);
  const sessions = sessionList(page, { project: name });
  page.render(
    h("h1", {}, `Project ${project.name}`, h("span", { class: "muted" }, ` ${project.project_id}`)),
    h("p", {}, link(`#/events${q}`, "Events"), " · ", link(`#/sessions${q}`, "All sessions")),
    h("h2", {}, "Deployments"),
    table([
      ["ID", (d) => h("code", {}, d.deployment_id)],
      ["State", (d) => stateBadge(d.state)],
      ["Build", (d) => h("code", {}, d.build_id)],
      ["Created", (d) => when(d.created_at)],
    ], deployments),
    h("h2", {}, "Triggers"),
    table([
      ["Name", (t) => t.name],
      ["Source", (t) => t.source_type + (t.schedule ? ` ${t.schedule}` : "")],
      ["Event type", (t) => t.event_type],
      ["Filter", (t) => (t.filter ? h("code", {}, t.filter) : "")],
      ["Call", (t) => (t.call ? h("code", {}, t.call) : "")],
      [
        "Webhook URL",
        (t) => (t.webhook_url ? h("code", { class: "webhook-url" }, t.webhook_url) : ""),
      ],
    ], triggers),
    h("h2", {}, "Sessions"),
    sessions.element,
    h("h2", {}, "Live log"),
    liveLog({ project: name }, page, { showSession: true, onRecord: () => sessions.refreshSoon() }),
  );
}

// A sessions table with a state filter; `refreshSoon` reloads it (at most every 300 ms).
function sessionList(page, filter) {
  let state = filter.state ?? "";
  const holder = h("div", {});
  const select = h(
    "select",
    {
      "aria-label": "State",
      onchange: () => {
        state = select.value;
        load().catch(page.fail);
      },
    },
    h("option", { value: "" }, "all states"),
    STATES.map((s) => h("option", { value: s }, s)),
  );
  select.value = state;
  let pending;
  const load = async () => {
    const { sessions } = await api(`/api/sessions${query({ ...filter, state, limit: "100" })}`);
    holder.replaceChildren(table(
      [
        ["Session", (s) => link(`#/sessions/${s.session_id}`, s.session_id)],
        ["State", (s) => stateBadge(s.state)],
        ["Entry point", (s) => h("code", {}, s.entrypoint)],
        ["Created", (s) => when(s.created_at)],
      ],
      sessions,
      "No sessions.",
    ));
  };
  load().catch(page.fail);
  return {
    element: h("div", {}, h("div", { class: "toolbar" }, select), holder),
    refreshSoon() {
      if (pending) return;
      pending = setTimeout(() => {
        pending = undefined;
        if (page.current()) load().catch(page.fail);
      }, 300);
    },
  };
}

function sessionsView(page, params) {
  const sessions = sessionList(page, {
    project: params.get("project"),
    state: params.get("state"),
  });
  const project = params.get("project");
  page.render(h("h1", {}, project ? `Sessions of ${project}` : "Sessions"), sessions.element);
}

async function sessionView(page, id) {
  const { session: s } = await api(`/api/sessions/${id}`);
  const state = h("dd", {}, stateBadge(s.state));
  const error = h("pre", { class: "error", hidden: !s.error }, s.error ?? "");
  page.render(
    h("h1", {}, `Session ${s.session_id}`),
    h(
      "dl",
      {},
      h("dt", {}, "State"),
      state,
      h("dt", {}, "Entry point"),
      h("dd", {}, h("code", {}, s.entrypoint)),
      h("dt", {}, "Project"),
      h("dd", {}, h("code", {}, s.project_id)),
      h("dt", {}, "Deployment"),
      h("dd", {}, h("code", {}, s.deployment_id ?? "")),
      h("dt", {}, "Event"),
      h("dd", {}, s.event_id ? link(`#/events/${s.event_id}`, s.event_id) : ""),
      h("dt", {}, "Durable"),
      h("dd", {}, s.durable ? "yes" : "no"),
      h("dt", {}, "Created"),
      h("dd", {}, when(s.created_at)),
      s.return_value ? [h("dt", {}, "Returned"), h("dd", {}, h("code", {}, s.return_value))] : null,
    ),
    error,
    h("h2", {}, "Log"),
    liveLog({ session: s.session_id }, page, {
      onRecord: (m) => {
        if (m.type !== "state") return;
        state.replaceChildren(stateBadge(m.data.state));
        if (m.data.error) {
          error.textContent = m.data.error;
          error.hidden = false;
        }
      },
    }),
  );
}

async function eventsView(page, params) {
  const project = params.get("project");
  const { events } = await api(`/api/events${query({ project })}`);
  page.render(
    h("h1", {}, project ? `Events of ${project}` : "Events"),
    table(
      [
        ["Event", (e) => link(`#/events/${e.event_id}`, e.event_id)],
        ["Type", (e) => e.event_type],
        ["Created", (e) => when(e.created_at)],
      ],
      events,
      "No events.",
    ),
  );
}

async function eventView(page, id) {
  const [{ event: e }, { sessions }] = await Promise.all([
    api(`/api/events/${id}`),
    api(`/api/sessions${query({ event: id })}`),
  ]);
  page.render(
    h("h1", {}, `Event ${e.event_id}`),
    h(
      "dl",
      {},
      h("dt", {}, "Type"),
      h("dd", {}, e.event_type),
      h("dt", {}, "Created"),
      h("dd", {}, when(e.created_at)),
      h("dt", {}, "Destination"),
      h("dd", {}, h("code", {}, e.destination_id)),
    ),
    h("h2", {}, "Data"),
    h("pre", { "data-testid": "event-data" }, JSON.stringify(e.data, null, 2)),
    h("h2", {}, "Memo"),
    h("pre", {}, JSON.stringify(e.memo, null, 2)),
    h("h2", {}, "Sessions"),
    table(
      [
        ["Session", (s) => link(`#/sessions/${s.session_id}`, s.session_id)],
        ["State", (s) => stateBadge(s.state)],
      ],
      sessions,
      "No sessions started.",
    ),
  );
}

function loginView(page, problem) {
  const input = h("input", {
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
          const res = await fetch("/ui/sign-in", {
            method: "POST",
            headers: { ...UI_HEADER, "content-type": "application/json" },
            body: JSON.stringify({ token: input.value.trim() }),
          });
          if (res.ok) return route();
          const body = await res.json().catch(() => ({}));
          loginView(page, res.status === 401 ? "The daemon refused the token." : body.error);
        },
      },
      h("h1", {}, "API token"),
      problem ? h("p", { class: "problem" }, problem) : null,
      h(
        "p",
        { class: "muted" },
        "Paste the token from the daemon's data directory (",
        h("code", {}, "~/.local/share/pounce/token"),
        "). This browser keeps a sign-in cookie for 7 days, out of reach of scripts.",
      ),
      input,
      h("button", { type: "submit" }, "Sign in"),
    ),
  );
  input.focus();
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

function route() {
  currentPage?.close();
  const cleanups = [];
  const page = {
    render: (...children) => {
      if (currentPage === page) view().replaceChildren(...children);
    },
    cleanup: (fn) => cleanups.push(fn),
    current: () => currentPage === page,
    close: () => cleanups.splice(0).forEach((fn) => fn()),
    fail: (err) => {
      if (currentPage !== page) return;
      page.close();
      if (err instanceof Unauthorized) {
        signedIn(false);
        return loginView(page);
      }
      page.render(h("p", { class: "problem" }, err.message));
    },
  };
  currentPage = page;
  const [path, search] = location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(search ?? "");
  for (const [pattern, show] of routes) {
    const m = pattern.exec(path);
    if (!m) continue;
    Promise.resolve().then(() => show(page, params, ...m.slice(1))).catch(page.fail);
    return;
  }
  page.render(h("p", { class: "problem" }, `No page at ${location.hash}`));
}

addEventListener("hashchange", route);
document.getElementById("forget").addEventListener("click", async () => {
  await fetch("/ui/sign-out", { method: "POST", headers: UI_HEADER });
  signedIn(false);
  route();
});
route();
