// streamsql dashboard: everything comes from the REST API (REST.md).
"use strict";

const main = document.getElementById("main");
let timer = null;          // the current page's refresh
let lastCounts = {};       // job or vertex id -> {rows, at} for rows/s
let session = null;        // the SQL editor's server session
let streamAbort = null;    // aborts a streamed SELECT

function token() { return sessionStorage.getItem("streamsql-token") || ""; }

async function api(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  if (token()) headers["Authorization"] = "Bearer " + token();
  const resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (resp.status === 401) { askToken(); throw new Error("the server needs its token"); }
  const data = await resp.json();
  if (!resp.ok) throw new Error(data.error || resp.statusText);
  return data;
}

function askToken() {
  const d = document.getElementById("token-dialog");
  d.hidden = false;
  document.getElementById("token-save").onclick = () => {
    sessionStorage.setItem("streamsql-token", document.getElementById("token-input").value);
    d.hidden = true;
    route();
  };
}

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "onclick") e.onclick = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k);
  return e;
}

function fmt(n) { return n === undefined || n === null ? "" : Number(n).toLocaleString("en-US"); }
function bytes(n) {
  const u = ["B", "KiB", "MiB", "GiB"]; let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n) + " " + u[i];
}

// rate returns rows per second of a counter since the previous refresh.
function rate(key, rows) {
  const now = performance.now(), prev = lastCounts[key];
  lastCounts[key] = { rows, at: now, r: prev ? prev.r : 0, known: prev ? prev.known : false };
  if (prev && now > prev.at && rows >= prev.rows) {
    lastCounts[key].r = (rows - prev.rows) * 1000 / (now - prev.at);
    lastCounts[key].known = true;
  }
  return lastCounts[key].r;
}

function table(cols, rows, numeric) {
  const t = el("table");
  t.append(el("tr", {}, ...cols.map((c, i) => el("th", { class: numeric && numeric[i] ? "num" : "", text: c }))));
  for (const r of rows) {
    const tr = el("tr");
    r.forEach((v, i) => tr.append(v instanceof Node ? el("td", {}, v) : el("td", { class: numeric && numeric[i] ? "num" : "", text: v })));
    t.append(tr);
  }
  return t;
}

function every(ms, fn) {
  clearInterval(timer);
  fn();
  timer = setInterval(fn, ms);
}

// --- Jobs overview --------------------------------------------------------
function jobsPage() {
  main.replaceChildren(el("h2", { text: "Jobs" }), el("div", { id: "jobs" }));
  let self = null; // this server's id in its cluster
  every(1000, async () => {
    let data;
    try { data = await api("GET", "/v1/jobs"); } catch (e) { return showError(e); }
    // A server of a cluster lists every server's jobs, each with its
    // owner; only the owner has a job's figures, so another server's
    // job shows "—" for them.
    const clustered = data.jobs.some(j => j.owner);
    if (clustered && self === null) {
      try { self = (await api("GET", "/v1/cluster")).server || ""; } catch (e) { return showError(e); }
    }
    const t = el("table", { id: "jobs-table" });
    t.append(el("tr", {}, ...["job id", "name", "status", ...(clustered ? ["owner"] : []), "rows in", "rows out", "rows/s out", "last checkpoint", "restarts", "resumes"]
      .map((c, i) => el("th", { class: i >= (clustered ? 4 : 3) ? "num" : "", text: c }))));
    for (const j of data.jobs) {
      const rps = j.status === "RUNNING" ? rate("job:" + j.id, j.rows_out) : 0;
      const tr = el("tr", { class: "clickable job-row", "data-id": j.id, "data-status": j.status, "data-rate": rps.toFixed(1),
        "data-owner": j.owner || "", onclick: () => { location.hash = "#/job/" + j.id; } });
      tr.append(el("td", { text: j.id }), el("td", { text: j.name }),
        el("td", { class: "status " + j.status, text: j.status }));
      if (clustered) tr.append(el("td", { class: "owner", text: j.owner }));
      if (clustered && self && j.owner !== self) {
        const none = () => el("td", { class: "num remote", title: "only server " + j.owner + " has this job's figures", text: "—" });
        tr.append(none(), none(), none(), none(), none(), el("td", { class: "num", text: j.resumes }));
      } else {
        tr.append(
          el("td", { class: "num", text: fmt(j.rows_in) }), el("td", { class: "num", text: fmt(j.rows_out) }),
          el("td", { class: "num rate", text: fmt(Math.round(rps)) }),
          el("td", { class: "num", text: j.last_checkpoint || "" }), el("td", { class: "num", text: j.restarts }),
          el("td", { class: "num", text: j.resumes }));
      }
      t.append(tr);
    }
    document.getElementById("jobs").replaceChildren(data.jobs.length ? t : el("p", { class: "muted", text: "No jobs yet: submit one in the SQL editor." }));
  });
}

// --- Cluster ---------------------------------------------------------------
// The servers of the cluster this server belongs to (GET /v1/cluster),
// each with its state, address, last announcement and the jobs it owns.
function clusterPage() {
  main.replaceChildren(el("h2", { text: "Cluster" }), el("div", { id: "cluster" }));
  every(1000, async () => {
    let v;
    try { v = await api("GET", "/v1/cluster"); } catch (e) { return showError(e); }
    const box = document.getElementById("cluster");
    if (!box) return;
    if (!v.name) {
      box.replaceChildren(el("p", { id: "cluster-note", class: "muted",
        text: "This server is not part of a cluster: its jobs are listed under Jobs. Servers started with --cluster-name and --cluster-bootstrap-servers share a cluster." }));
      return;
    }
    const t = el("table", { id: "cluster-table" });
    t.append(el("tr", {}, ...["server", "status", "address", "started", "last heard", "jobs"].map(c => el("th", { text: c }))));
    const now = Date.now();
    for (const sv of v.servers) {
      const jobs = el("div", { class: "cluster-jobs" }, ...sv.jobs.map(j => el("div", {},
        el("a", { href: "#/job/" + j.id, class: "cluster-job", "data-id": j.id, text: j.id }), " ",
        el("span", { class: "status " + j.status, text: j.status }),
        // The record of a job whose server went away, until a server
        // that is up takes it over (or its server starts again).
        j.status === "RUNNING" && sv.state !== "up" ? el("span", { class: "held", text: " (its server is " + sv.state + ")" }) : "",
        // Taken over at least once.
        j.epoch > 1 ? el("span", { class: "epoch muted", text: " taken over (epoch " + j.epoch + ")" }) : "",
        // A unit of a job cut into stages: what it reads.
        j.stage !== undefined ? el("span", { class: "unit", text: " stage " + j.stage + " unit " + (j.unit || 0) + ": " + j.reads }) : "",
        // Its owner's figures at its last announcement.
        j.lag !== undefined ? el("span", { class: "lag muted", text: " lag " + j.lag,
          title: Object.entries(j.partition_lag || {}).map(([p, n]) => p + ": " + n).join("\n") }) : "",
        j.checkpoint ? el("span", { class: "checkpoint muted", text: " checkpoint " + j.checkpoint + (j.checkpoint_at ? " at " + new Date(j.checkpoint_at).toLocaleTimeString() : "") }) : "",
        " ", el("span", { class: "muted", text: j.name }))));
      if (!sv.jobs.length) jobs.append(el("span", { class: "muted", text: "none" }));
      t.append(el("tr", { class: "server-row", "data-id": sv.id, "data-state": sv.state, "data-jobs": sv.jobs.map(j => j.id).join(" ") },
        el("td", { class: "server-id", text: sv.id + (sv.id === v.server ? " (this server)" : "") }),
        el("td", { class: "state " + sv.state, text: sv.state }),
        el("td", { text: sv.listen || "" }),
        el("td", { text: sv.started ? new Date(sv.started).toLocaleString() : "" }),
        el("td", { text: sv.last_seen ? age(now - Date.parse(sv.last_seen)) + " ago" : "never" }),
        el("td", {}, jobs)));
    }
    box.replaceChildren(el("div", { class: "muted", id: "cluster-name", text: "cluster " + v.name + ", as server " + v.server + " sees it" }), t,
      el("p", { class: "muted", text: "A job runs whole on the server that owns it, or cut into stages as units spread over the servers, each reading its key groups or splits. Lag (by partition on hover) and the newest checkpoint are each running job's as its owner last announced them; a unit's checkpoint holds all of its key groups." }));
  });
}

// age renders milliseconds as 4s, 3m 20s, 2h 5m.
function age(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s";
  return Math.floor(s / 3600) + "h " + Math.floor(s % 3600 / 60) + "m";
}

// --- One job --------------------------------------------------------------
let jobTab = "graph";

function jobPage(id) {
  const head = el("div", { id: "job-head" });
  const actions = el("div", {},
    el("button", { class: "action", id: "stop-savepoint", onclick: () => stop(id, true), text: "Stop with savepoint" }),
    el("button", { class: "action", id: "stop", onclick: () => stop(id, false), text: "Stop" }),
    el("button", { class: "action", id: "savepoint", onclick: () => savepoint(id), text: "Trigger savepoint" }),
    el("span", { id: "action-result", class: "muted" }));
  const tabs = el("div", { class: "tabs" }, ...["graph", "checkpoints", "exceptions", "statements"].map(t =>
    el("button", { id: "tab-" + t, class: t === jobTab ? "active" : "", text: t[0].toUpperCase() + t.slice(1),
      onclick: () => { jobTab = t; jobPage(id); } })));
  main.replaceChildren(head, actions, tabs, el("div", { id: "tab" }));
  every(1000, async () => {
    let j;
    try { j = await api("GET", "/v1/jobs/" + id); } catch (e) { return showError(e); }
    head.replaceChildren(el("h2", {}, "Job " + j.id + " ", el("span", { id: "job-status", class: "status " + j.status, text: j.status })),
      el("div", { class: "muted", text: j.name + (j.savepoint ? " — stopped with savepoint " + j.savepoint : "") }),
      j.error ? el("div", { class: "error", text: j.error }) : "");
    const tab = document.getElementById("tab");
    if (jobTab === "graph") tab.replaceChildren(graph(j), el("h3", { text: "Subtasks" }), subtasks(j));
    if (jobTab === "statements") tab.replaceChildren(el("pre", { text: (j.statements || []).join(";\n\n") + ";" }));
    if (jobTab === "checkpoints") {
      const c = await api("GET", "/v1/jobs/" + id + "/checkpoints");
      const rows = c.history.slice().reverse().map(h => [String(h.id), h.savepoint ? "savepoint" : "checkpoint", h.status,
        new Date(h.triggered_at).toLocaleTimeString(), fmt(h.duration_ms) + " ms", h.alignment_ms.toFixed(1) + " ms",
        bytes(h.size_bytes), bytes(h.incremental_size_bytes),
        h.slowest_subtask ? h.slowest_subtask.vertex + " #" + h.slowest_subtask.subtask + " (" + fmt(h.slowest_subtask.ack_ms) + " ms)" : (h.failure || "")]);
      const t = table(["id", "kind", "status", "triggered", "duration", "alignment", "size", "incremental", "slowest subtask / failure"], rows,
        [true, false, false, false, true, true, true, true, false]);
      t.id = "checkpoints-table";
      t.querySelectorAll("tr").forEach(tr => { if (tr.children[2] && tr.children[2].textContent === "FAILED") tr.classList.add("failed"); });
      const done = c.history.filter(h => h.status === "COMPLETED");
      tab.replaceChildren(el("div", { class: "muted", text: c.completed + " completed, " + c.failed + " failed" }), chart(done), t);
    }
    if (jobTab === "exceptions") {
      const x = await api("GET", "/v1/jobs/" + id + "/exceptions");
      const rows = x.attempts.map((a, i) => [String(i + 1), a.restart ? "restart" : "start",
        a.restored_checkpoint ? (a.restored_savepoint ? "savepoint " : "checkpoint ") + a.restored_checkpoint : "beginning",
        a.restored_path || "", String(a.parallelism)]);
      tab.replaceChildren(el("div", {}, "Restarts: " + x.restarts), x.error ? el("div", { class: "error", text: x.error }) : "",
        table(["attempt", "kind", "restored", "from", "parallelism"], rows));
    }
  });
}

async function stop(id, withSavepoint) {
  const out = document.getElementById("action-result");
  out.textContent = "stopping…";
  try {
    const r = await api("POST", "/v1/jobs/" + id + "/stop", { savepoint: withSavepoint });
    out.textContent = r.savepoint ? "stopped with savepoint " + r.savepoint : "stopped";
  } catch (e) { out.textContent = e.message; }
}

async function savepoint(id) {
  const out = document.getElementById("action-result");
  try { out.textContent = "savepoint " + (await api("POST", "/v1/jobs/" + id + "/savepoints")).savepoint; }
  catch (e) { out.textContent = e.message; }
}

// graph draws the operator graph: vertices in columns by their distance
// from the sources, edges with their partitioning.
function graph(j) {
  const ns = "http://www.w3.org/2000/svg";
  const vs = j.vertices || [];
  const byId = {}; vs.forEach(v => { byId[v.id] = v; });
  const level = {};
  const depth = v => {
    if (level[v.id] !== undefined) return level[v.id];
    level[v.id] = 0;
    level[v.id] = v.inputs.length ? 1 + Math.max(...v.inputs.map(i => byId[i.from] ? depth(byId[i.from]) : 0)) : 0;
    return level[v.id];
  };
  vs.forEach(depth);
  const cols = {}; vs.forEach(v => { (cols[level[v.id]] = cols[level[v.id]] || []).push(v); });
  const W = 250, H = 90, GX = 120, GY = 30, pos = {};
  let maxRow = 0;
  Object.entries(cols).forEach(([c, list]) => list.forEach((v, r) => { pos[v.id] = { x: 10 + c * (W + GX), y: 10 + r * (H + GY) }; maxRow = Math.max(maxRow, r); }));
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("id", "graph");
  svg.setAttribute("width", 20 + Object.keys(cols).length * (W + GX));
  svg.setAttribute("height", 20 + (maxRow + 1) * (H + GY));
  svg.innerHTML = '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#8b93a1"/></marker></defs>';
  const add = (tag, attrs, text) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  for (const v of vs) for (const i of v.inputs) {
    const a = pos[i.from], b = pos[v.id];
    if (!a) continue;
    svg.append(add("path", { class: "edge", d: `M${a.x + W},${a.y + H / 2} C${a.x + W + GX / 2},${a.y + H / 2} ${b.x - GX / 2},${b.y + H / 2} ${b.x},${b.y + H / 2}` }));
    svg.append(add("text", { class: "edge-label", "text-anchor": "middle", x: (a.x + W + b.x) / 2, y: (a.y + b.y) / 2 + H / 2 - 6 }, i.partitioning + (i.key ? "(" + i.key + ")" : "") + (i.chained ? " chained" : "")));
  }
  for (const v of vs) {
    // The box's colour is the operator's backpressure level (Flink's:
    // ok up to 10%, low up to 50%, high above).
    const p = pos[v.id], g = add("g", { class: "vertex bp-" + v.backpressure, "data-id": v.id, "data-backpressure": v.backpressure,
      "data-busy": v.busy_ratio, transform: `translate(${p.x},${p.y})` });
    g.append(add("rect", { width: W, height: H }));
    const name = v.name.length > 33 ? v.name.slice(0, 32) + "…" : v.name;
    g.append(add("text", { class: "title", x: 8, y: 17 }, name));
    g.append(add("title", {}, v.name));
    g.append(add("text", { x: 8, y: 35 }, "parallelism " + v.parallelism + " · " + fmt(Math.round(v.rows_in_per_second)) + " rows/s in"));
    g.append(add("text", { x: 8, y: 51 }, "in " + fmt(v.rows_in) + " · out " + fmt(v.rows_out)));
    g.append(add("text", { class: "ratios", x: 8, y: 67 }, "busy " + pct(v.busy_ratio) + " · backpressured " + pct(v.backpressure_ratio)));
    g.append(add("text", { x: 8, y: 83 }, "watermark " + (v.watermark || "—")));
    svg.append(g);
  }
  return svg;
}

function pct(r) { return Math.round(100 * (r || 0)) + "%"; }

// subtasks lists every subtask of every operator.
function subtasks(j) {
  const rows = [];
  for (const v of j.vertices || []) for (const s of v.subtasks || []) {
    rows.push([v.name, String(s.subtask), s.status, fmt(s.rows_in), fmt(Math.round(s.rows_in_per_second)), fmt(s.rows_out),
      pct(s.busy_ratio), pct(s.backpressure_ratio), pct(s.idle_ratio), s.watermark || "—", bytes(s.state_bytes),
      s.pending_records === undefined ? "" : fmt(s.pending_records),
      s.last_commit_ms === undefined ? "" : s.last_commit_ms.toFixed(1) + " ms"]);
  }
  const t = table(["operator", "subtask", "status", "rows in", "rows/s in", "rows out", "busy", "backpressured", "idle", "watermark",
    "state", "behind (Kafka)", "last commit"], rows, [false, true, false, true, true, true, true, true, true, false, true, true, true]);
  t.id = "subtasks-table";
  return t;
}

// chart draws each checkpoint's duration (line) and size (bars).
function chart(history) {
  const ns = "http://www.w3.org/2000/svg", W = 640, H = 160, P = 30;
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "chart"); svg.setAttribute("id", "checkpoint-chart");
  svg.setAttribute("width", W); svg.setAttribute("height", H);
  if (!history.length) return svg;
  const maxD = Math.max(1, ...history.map(h => h.duration_ms)), maxS = Math.max(1, ...history.map(h => h.size_bytes));
  const step = (W - 2 * P) / history.length;
  let line = "";
  history.forEach((h, i) => {
    const x = P + i * step, bh = (H - 2 * P) * h.size_bytes / maxS;
    const bar = document.createElementNS(ns, "rect");
    bar.setAttribute("x", x + 1); bar.setAttribute("y", H - P - bh); bar.setAttribute("width", Math.max(1, step - 2)); bar.setAttribute("height", bh);
    bar.setAttribute("fill", "#c9d6f2");
    svg.append(bar);
    line += (i ? " L" : "M") + (x + step / 2) + "," + (H - P - (H - 2 * P) * h.duration_ms / maxD);
  });
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", line); path.setAttribute("stroke", "#1d2330"); path.setAttribute("fill", "none");
  svg.append(path);
  const label = document.createElementNS(ns, "text");
  label.setAttribute("x", P); label.setAttribute("y", 16);
  label.textContent = "size (bars, max " + bytes(maxS) + ") and duration (line, max " + maxD + " ms)";
  svg.append(label);
  return svg;
}

// --- SQL editor -----------------------------------------------------------
function sqlPage() {
  clearInterval(timer);
  const area = el("textarea", { id: "sql", spellcheck: "false" });
  area.value = sessionStorage.getItem("streamsql-sql") || "";
  const out = el("div", { id: "sql-output" });
  const run = el("button", { class: "action", id: "run", text: "Run", onclick: () => runSQL(area.value, out) });
  const cancel = el("button", { class: "action", id: "cancel", text: "Stop the query", onclick: () => streamAbort && streamAbort.abort() });
  main.replaceChildren(el("h2", { text: "SQL editor" }),
    el("div", { class: "muted", text: "Statements run in a session of the server: tables and SET stay for the next run; INSERT jobs keep running on the server; a SELECT's rows show as they arrive." }),
    area, el("div", {}, run, cancel), out);
}

async function runSQL(text, out) {
  sessionStorage.setItem("streamsql-sql", text);
  out.replaceChildren(el("div", { class: "muted", text: "running…" }));
  try {
    if (!session) session = (await api("POST", "/v1/sessions")).session_id;
    streamAbort = new AbortController();
    const headers = { "Content-Type": "application/json" };
    if (token()) headers["Authorization"] = "Bearer " + token();
    let resp = await fetch("/v1/sessions/" + session + "/statements", { method: "POST", headers, signal: streamAbort.signal, body: JSON.stringify({ statements: text }) });
    if (resp.status === 404) { // the server restarted: a new session
      session = (await api("POST", "/v1/sessions")).session_id;
      resp = await fetch("/v1/sessions/" + session + "/statements", { method: "POST", headers, signal: streamAbort.signal, body: JSON.stringify({ statements: text }) });
    }
    out.replaceChildren();
    if (resp.headers.get("Content-Type") === "application/x-ndjson") return streamRows(resp, out);
    const data = await resp.json();
    showResults(data.results || [], out);
    if (data.error) out.append(el("div", { class: "error", id: "sql-error", text: "statement " + data.statement + ": " + data.error }));
  } catch (e) {
    if (e.name !== "AbortError") out.replaceChildren(el("div", { class: "error", id: "sql-error", text: e.message }));
  }
}

function showResults(results, out) {
  for (const r of results) {
    if (r.message) out.append(el("div", { class: "result-message", text: r.message }));
    if (r.job_id) out.append(el("a", { href: "#/job/" + r.job_id, class: "job-link", text: "open job " + r.job_id }));
    if (r.text) out.append(el("pre", { text: r.text }));
    if (r.columns) out.append(table(r.columns, r.rows || []));
  }
}

async function streamRows(resp, out) {
  const reader = resp.body.getReader(), dec = new TextDecoder();
  let buf = "", t = null, n = 0;
  const count = el("div", { class: "muted", id: "stream-count" });
  for (;;) {
    let chunk;
    try { chunk = await reader.read(); } catch (e) { break; }
    if (chunk.done) break;
    buf += dec.decode(chunk.value, { stream: true });
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = JSON.parse(buf.slice(0, i)); buf = buf.slice(i + 1);
      if (line.results) showResults(line.results, out);
      if (line.columns) { t = table(["op", ...line.columns], []); t.id = "stream-table"; out.append(count, t); }
      if (line.op) {
        n++;
        t.append(el("tr", { class: "stream-row" }, el("td", { text: line.op }), ...line.row.map(v => el("td", { text: v }))));
        while (t.rows.length > 201) t.deleteRow(1); // the newest 200 rows
        count.textContent = n + " rows received";
      }
      if (line.end) out.append(el("div", { class: "muted", text: line.end }));
      if (line.error) out.append(el("div", { class: "error", id: "sql-error", text: line.error }));
    }
  }
}

function showError(e) {
  document.getElementById("conn").textContent = e.message;
}

function route() {
  document.getElementById("conn").textContent = "";
  const h = location.hash;
  if (streamAbort && !h.startsWith("#/sql")) { streamAbort.abort(); streamAbort = null; }
  if (h.startsWith("#/job/")) return jobPage(h.slice(6));
  if (h.startsWith("#/sql")) return sqlPage();
  if (h.startsWith("#/cluster")) return clusterPage();
  return jobsPage();
}

window.addEventListener("hashchange", route);
route();
