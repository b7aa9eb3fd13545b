// vidsearch page: upload a video, show its tags and the most similar videos. No framework, no build step.
const $ = (id) => document.getElementById(id);
const show = (id, on) => { $(id).hidden = !on; };
let queryUrl = null;

async function loadStats() {
  try {
    const stats = await (await fetch("/api/stats")).json();
    $("stats").textContent = stats.count
      ? `${stats.count} videos indexed · ${stats.model || ""} · ${stats.dim || ""}-d · ${stats.index ? stats.index.type : ""}`
      : "The library is empty.";
  } catch { $("stats").textContent = ""; }
}

const EMPTY_LIBRARY = "No results: the library is empty. Index videos with <code>vidsearch index FOLDER</code> first.";

// The empty state: the library's own message (markup of ours), or a plain text one.
function empty(text) {
  if (text === EMPTY_LIBRARY) $("empty-text").innerHTML = text;
  else $("empty-text").textContent = text;
  show("empty", true);
}

function reset() {
  ["error", "empty", "results-section", "query", "suggestions"].forEach((id) => show(id, false));
}

function busy(text) {
  reset();
  $("status-text").textContent = text;
  show("status", true);
}

// The filter row as form fields / query parameters (empty ones are left out: no condition).
function filters() {
  const out = [];
  for (const input of $("filters").querySelectorAll("input")) {
    if (input.value.trim()) out.push([input.name, input.value.trim()]);
  }
  return out;
}

function fail(message) {
  show("status", false);
  $("error").textContent = message;
  show("error", true);
}

const clock = (s) => {
  const m = Math.floor(s / 60), h = Math.floor(m / 60);
  const sec = (s - m * 60).toFixed(1).padStart(4, "0");
  return h ? `${h}:${String(m % 60).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
};

// Where in the video the query matched: a bar for the whole video, a mark for each matched interval.
function timeline(hit) {
  const bar = document.createElement("div");
  bar.className = "timeline";
  const duration = hit.duration || Math.max(...hit.segments.map((s) => s.end), 1);
  hit.segments.forEach((s, i) => {
    const mark = document.createElement("span");
    mark.className = i ? "interval also" : "interval";
    mark.style.left = `${(100 * s.start) / duration}%`;
    mark.style.width = `${Math.max((100 * (s.end - s.start)) / duration, 2)}%`;
    mark.title = `${clock(s.start)}–${clock(s.end)}`;
    bar.append(mark);
  });
  return bar;
}

function card(hit, rank) {
  const li = document.createElement("li");
  li.className = "card";
  li.tabIndex = 0;
  li.dataset.id = hit.id;
  const at = hit.segments.length ? hit.segments[0].start : 0;
  li.dataset.start = at;
  const figure = hit.score !== undefined ? `${Math.round(hit.score * 100)}% likely` : `distance ${hit.distance.toFixed(4)}`;
  li.innerHTML = `<img loading="lazy" alt=""><div class="meta"><span class="rank">#${rank}</span>
    <div class="label"></div><div class="when"></div><div class="dist">${figure}</div></div>`;
  if (hit.copy) {  // the query is a copy of this video's footage (distance under the calibrated threshold)
    const badge = document.createElement("span");
    badge.className = "copy-badge";
    badge.textContent = "copy";
    badge.title = "The query is a copy of this video's footage";
    li.querySelector(".meta").prepend(badge);
  }
  li.querySelector("img").src = hit.preview_url;
  li.querySelector("img").alt = `preview of ${hit.label || hit.path}`;
  li.querySelector(".label").textContent = hit.label || hit.path.split("/").pop();
  if (hit.segments.length) {
    const s = hit.segments[0];
    li.querySelector(".when").textContent = `${hit.score !== undefined ? "best at" : "match at"} ${clock(s.start)}–${clock(s.end)}`;
    li.querySelector(".meta").insertBefore(timeline(hit), li.querySelector(".dist"));
  }
  const play = () => {
    // the media fragment starts the player where the match lies
    $("player-video").src = `${hit.file_url}#t=${at.toFixed(2)}`;
    $("player-caption").textContent = `${hit.label} — ${hit.path.split("/").pop()} — from ${clock(at)}`;
    $("player").showModal();
    $("player-video").play().catch(() => {});
  };
  li.addEventListener("click", play);
  li.addEventListener("keydown", (e) => { if (e.key === "Enter") play(); });
  return li;
}

async function search(file) {
  busy(`Embedding ${file.name}…`);
  if (queryUrl) URL.revokeObjectURL(queryUrl);
  queryUrl = URL.createObjectURL(file);
  const form = new FormData();
  form.append("k", $("k").value);  // fields before the file: the server checks them before reading the upload
  for (const [name, value] of filters()) form.append(name, value);
  form.append("file", file);
  let response;
  try { response = await fetch("/api/search", { method: "POST", body: form }); }
  catch { return fail("The server cannot be reached. Is `vidsearch serve` running?"); }
  const body = await response.json().catch(() => ({}));
  if (response.status === 409) { show("status", false); return empty(EMPTY_LIBRARY); }
  if (!response.ok) return fail(body.detail || `Search failed (${response.status}).`);
  show("status", false);
  $("query-video").src = queryUrl;
  $("query-name").textContent = file.name;
  $("query-time").textContent = `searched in ${body.seconds.toFixed(2)} s`;
  $("tags").replaceChildren(...body.tags.map((t) => {
    const li = document.createElement("li");
    li.textContent = t.label;
    const b = document.createElement("b"); b.textContent = `${Math.round(t.score * 100)}%`; li.append(b);
    return li;
  }));
  show("query", true);
  if (!body.results.length) return empty(filters().length ? "No video matches the filters." : EMPTY_LIBRARY);
  $("results-title").textContent = filters().length ? "Most similar (filtered)" : "Most similar";
  $("results").replaceChildren(...body.results.map((hit, i) => card(hit, i + 1)));
  show("results-section", true);
}

// Search by action name: the videos whose best moment shows it most likely, with close class names offered.
async function findAction(text) {
  busy(`Looking for “${text}”…`);
  const params = new URLSearchParams([["q", text], ["k", $("k").value], ...filters()]);
  let response;
  try { response = await fetch(`/api/actions?${params}`); }
  catch { return fail("The server cannot be reached. Is `vidsearch serve` running?"); }
  const body = await response.json().catch(() => ({}));
  if (response.status === 409) { show("status", false); return empty(EMPTY_LIBRARY); }
  if (!response.ok) return fail(body.detail || `Search failed (${response.status}).`);
  show("status", false);
  const others = body.suggestions.filter((s) => s !== body.action);
  if (body.suggestions.length) {
    $("suggestions-text").textContent = `Showing “${body.action}”.${others.length ? " Or:" : ""}`;
    $("suggestion-list").replaceChildren(...others.map((name) => {
      const b = document.createElement("button");
      b.type = "button"; b.className = "chip"; b.textContent = name;
      b.addEventListener("click", () => { $("action").value = name; findAction(name); });
      return b;
    }));
    show("suggestions", true);
  }
  if (!body.results.length) return empty(`No video of this library shows “${body.action}” among its likely actions.`);
  $("results-title").textContent = `Most likely to show “${body.action}”`;
  const hits = body.results.map((r) => ({ ...r, segments: [{ start: r.start, end: r.end }] }));
  $("results").replaceChildren(...hits.map((hit, i) => card(hit, i + 1)));
  show("results-section", true);
}

async function loadActionNames() {
  try {
    const names = (await (await fetch("/api/actions/names")).json()).actions;
    $("action-names").replaceChildren(...names.map((n) => Object.assign(document.createElement("option"), { value: n })));
  } catch { /* autocompletion only */ }
}

$("action-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("action").value.trim();
  if (text) findAction(text);
});
const drop = $("drop");
$("pick").addEventListener("click", (e) => { e.stopPropagation(); $("file").click(); });
drop.addEventListener("click", () => $("file").click());
drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") $("file").click(); });
$("file").addEventListener("change", () => { if ($("file").files[0]) search($("file").files[0]); $("file").value = ""; });
["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
["dragleave", "drop"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
drop.addEventListener("drop", (e) => { const f = e.dataTransfer.files[0]; if (f) search(f); });
$("player").addEventListener("close", () => $("player-video").pause());
loadStats();
loadActionNames();
