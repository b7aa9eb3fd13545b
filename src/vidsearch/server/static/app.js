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

function card(hit, rank) {
  const li = document.createElement("li");
  li.className = "card";
  li.tabIndex = 0;
  li.dataset.id = hit.id;
  li.innerHTML = `<img loading="lazy" alt=""><div class="meta"><span class="rank">#${rank}</span>
    <div class="label"></div><div class="dist">distance ${hit.distance.toFixed(4)}</div></div>`;
  li.querySelector("img").src = hit.preview_url;
  li.querySelector("img").alt = `preview of ${hit.label || hit.path}`;
  li.querySelector(".label").textContent = hit.label || hit.path.split("/").pop();
  const play = () => {
    $("player-video").src = hit.file_url;
    $("player-caption").textContent = `${hit.label} — ${hit.path.split("/").pop()}`;
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
