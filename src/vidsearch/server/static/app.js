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
  li.innerHTML = `<img loading="lazy" alt=""><div class="meta"><span class="rank">#${rank}</span>
    <div class="label"></div><div class="when"></div><div class="dist">distance ${hit.distance.toFixed(4)}</div></div>`;
  li.querySelector("img").src = hit.preview_url;
  li.querySelector("img").alt = `preview of ${hit.label || hit.path}`;
  li.querySelector(".label").textContent = hit.label || hit.path.split("/").pop();
  if (hit.segments.length) {
    const s = hit.segments[0];
    li.querySelector(".when").textContent = `match at ${clock(s.start)}–${clock(s.end)}`;
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
  show("error", false); show("empty", false); show("results-section", false); show("query", false);
  $("status-text").textContent = `Embedding ${file.name}…`;
  show("status", true);
  if (queryUrl) URL.revokeObjectURL(queryUrl);
  queryUrl = URL.createObjectURL(file);
  const form = new FormData();
  form.append("k", $("k").value);  // before the file: the server checks it before reading the upload
  form.append("file", file);
  let response;
  try { response = await fetch("/api/search", { method: "POST", body: form }); }
  catch { return fail("The server cannot be reached. Is `vidsearch serve` running?"); }
  const body = await response.json().catch(() => ({}));
  if (response.status === 409) { show("status", false); return show("empty", true); }
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
  if (!body.results.length) return show("empty", true);
  $("results").replaceChildren(...body.results.map((hit, i) => card(hit, i + 1)));
  show("results-section", true);
}

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
