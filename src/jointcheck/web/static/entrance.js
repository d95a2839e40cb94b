// The entrance page (issue 4): scanner (keyboard wedge), paste and camera input; the result
// with colour, icon, word, sound and reasons in zh-CN and en; registration (R3), override,
// the ID-document path (R14) and the day's counts. Hand-written, no third-party code.
(function () {
  "use strict";
  const api = document.querySelector('meta[name="entrance-api"]').content;
  const agentKey = document.querySelector('meta[name="agent-key"]').content;
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const $ = (id) => document.getElementById(id);
  const words = $("words").content;
  const ICONS = { green: "✔", amber: "!", red: "✖" };
  const MAX_CODES = 3;
  const IDLE_MS = 2500;
  let people = [];
  let codes = [];
  let idle = null;
  let audio = null;

  function word(outcome) {
    const el = words.querySelector('[data-outcome="' + outcome + '"]');
    return el ? el.textContent : outcome;
  }
  function statusText(key, n) {
    const el = words.querySelector('[data-status="' + key + '"]');
    return el ? el.textContent.replace("{n}", String(n)) : key;
  }

  async function call(path, body) {
    const headers = { "Accept": "application/json", "X-Agent-Key": agentKey, "X-CSRF-Token": csrf };
    const init = { method: body === undefined ? "GET" : "POST", headers: headers, credentials: "same-origin" };
    if (body instanceof Blob) {
      headers["Content-Type"] = body.type;
      init.body = body;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(api + path, init);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = data.error || { code: String(response.status), message: {} };
      throw error;
    }
    return data;
  }

  // A different sound per outcome, so staff hear the result without looking (R1).
  function beep(tone) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const plan = {
        green: [[880, 0, 0.12, "sine"]],
        amber: [[523, 0, 0.15, "triangle"], [523, 0.25, 0.15, "triangle"]],
        red: [[196, 0, 0.6, "square"]],
      }[tone] || [];
      plan.forEach(([freq, start, length, type]) => {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.type = type;
        osc.frequency.value = freq;
        gain.gain.value = 0.15;
        osc.connect(gain).connect(audio.destination);
        osc.start(audio.currentTime + start);
        osc.stop(audio.currentTime + start + length);
      });
    } catch (e) { /* no audio device: the screen still shows everything */ }
  }

  function show(result, quiet) {
    const box = $("result");
    // An override admits the person while the check stays a DENY on record: the screen says
    // "admitted by staff" in amber, not DENY in red, so that staff at the door are not misled.
    const overridden = (result.reasons || []).includes("OVERRIDDEN");
    const tone = overridden ? "amber" : result.tone;
    box.className = "entrance-result tone-" + tone;
    box.dataset.outcome = result.outcome;
    box.dataset.overridden = overridden ? "yes" : "no";
    box.dataset.checkId = result.check_id;
    $("result").querySelector("[data-testid=result-icon]").textContent = ICONS[tone] || "?";
    $("result").querySelector("[data-testid=result-word]").textContent = word(overridden ? "OVERRIDDEN" : result.outcome);
    $("result").querySelector("[data-testid=result-name]").textContent = result.masked_name || "";
    $("result").querySelector("[data-testid=result-zh]").textContent = result.message_zh;
    $("result").querySelector("[data-testid=result-en]").textContent = result.message_en;
    if (!quiet) beep(tone);
  }

  function showError(error) {
    const box = $("result");
    box.className = "entrance-result tone-idle";
    box.dataset.outcome = "ERROR";
    box.dataset.code = error.code || "";
    box.querySelector("[data-testid=result-icon]").textContent = "?";
    box.querySelector("[data-testid=result-word]").textContent = error.code || "ERROR";
    box.querySelector("[data-testid=result-name]").textContent = "";
    box.querySelector("[data-testid=result-zh]").textContent = (error.message || {})["zh-CN"] || "";
    box.querySelector("[data-testid=result-en]").textContent = (error.message || {}).en || "";
  }

  function offerFollowUp(result) {
    const reg = $("register-form");
    const ov = $("override-form");
    reg.hidden = result.outcome !== "PERSUADE";
    ov.hidden = result.outcome !== "DENY";
    reg.elements.check_id.value = result.check_id;
    ov.elements.check_id.value = result.check_id;
  }

  // One line per family member (R14). A persuaded member can be registered and a refused one
  // let in with a reason (R3) from their own line: the form then speaks of that member's check.
  function familyLine(li, r) {
    li.className = "tone-" + r.tone;
    li.dataset.outcome = r.outcome;
    li.dataset.checkId = r.check_id;
    li.dataset.name = r.masked_name || "";
    li.textContent = ICONS[r.tone] + " " + word(r.outcome) + " " + (r.masked_name || "");
    const follow = { PERSUADE: "family-register", DENY: "family-override" }[r.outcome];
    if (!follow) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.dataset.testid = "family-follow-up";
    button.textContent = statusText(follow);
    button.addEventListener("click", () => {
      show(r, true);
      offerFollowUp(r);
      const form = $(r.outcome === "PERSUADE" ? "register-form" : "override-form");
      form.scrollIntoView({ block: "nearest" });
      form.querySelector("input:not([type=hidden]), select").focus();
    });
    li.append(" ", button);
  }

  function renderFamily(results) {
    const list = $("family-results");
    list.textContent = "";
    if (results.length < 2) return;
    results.forEach((r) => {
      const li = document.createElement("li");
      familyLine(li, r);
      list.appendChild(li);
    });
  }

  // After a registration or an override of the check CHECK_ID, the member's line says what was
  // decided (a registration is a check of its own, with an id of its own).
  function updateFamily(checkId, result) {
    const li = $("family-results").querySelector('li[data-check-id="' + checkId + '"]');
    if (!li) return;
    const overridden = (result.reasons || []).includes("OVERRIDDEN");
    // The member keeps their (masked) name on the line when the answer does not repeat it.
    const decided = Object.assign({}, result, { masked_name: result.masked_name || li.dataset.name || "" },
      overridden ? { outcome: "OVERRIDDEN", tone: "amber" } : {});
    familyLine(li, decided);
  }

  function resetScan() {
    people = [];
    codes = [];
    $("scan-count").textContent = "0";
    clearTimeout(idle);
  }

  async function check() {
    clearTimeout(idle);
    if (codes.length) people.push(codes);
    const batch = people;
    resetScan();
    if (!batch.length) return;
    try {
      const data = await call("/scan", batch.length === 1 ? { codes: batch[0] } : { people: batch });
      const results = data.results;
      show(results[results.length - 1]);
      renderFamily(results);
      offerFollowUp(results.length === 1 ? results[0] : { outcome: "", check_id: "" });
      refreshCounts();
    } catch (error) {
      showError(error);
    }
    $("scan-input").focus();
  }

  function addCode(text) {
    const code = text.trim();
    if (!code) return;
    if (codes.length >= MAX_CODES) { people.push(codes); codes = []; }
    codes.push(code);
    $("scan-count").textContent = String(people.reduce((n, p) => n + p.length, 0) + codes.length);
    clearTimeout(idle);
    idle = setTimeout(check, IDLE_MS);
  }

  // A USB scanner types the code and presses Enter; Enter on an empty field checks at once.
  $("scan-input").addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const input = event.target;
    if (input.value.trim()) { addCode(input.value); input.value = ""; } else { check(); }
  });
  // A code being typed keeps the person's earlier codes waiting for it.
  $("scan-input").addEventListener("input", () => {
    if (codes.length || people.length) {
      clearTimeout(idle);
      idle = setTimeout(check, IDLE_MS);
    }
  });
  // Paste: one code per line (Base45 itself contains spaces, so only line breaks separate).
  $("scan-input").addEventListener("paste", (event) => {
    const text = (event.clipboardData || window.clipboardData).getData("text");
    if (!/[\r\n]/.test(text)) return;
    event.preventDefault();
    text.split(/\r?\n/).forEach(addCode);
  });
  $("scan-form").addEventListener("submit", (event) => event.preventDefault());
  $("check-button").addEventListener("click", () => {
    const input = $("scan-input");
    if (input.value.trim()) { addCode(input.value); input.value = ""; }
    check();
  });
  $("next-person").addEventListener("click", () => {
    if (codes.length) { people.push(codes); codes = []; }
    clearTimeout(idle);
    $("scan-input").focus();
  });
  $("clear-button").addEventListener("click", () => { resetScan(); $("scan-input").focus(); });

  function formBody(form, names) {
    const body = {};
    names.forEach((n) => { body[n] = form.elements[n].value; });
    return body;
  }

  $("register-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    try {
      const data = await call("/register", formBody(form, ["check_id", "name", "document_type", "id_number", "phone", "purpose"]));
      show(data.result);
      updateFamily(form.elements.check_id.value, data.result);
      form.reset();
      form.hidden = true;
      refreshCounts();
    } catch (error) { showError(error); }
  });

  $("override-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    // The answer names the person as the refusal did; one the terminal no longer remembers
    // (restarted since) names no one, and the screen keeps the name it showed.
    const name = $("result").querySelector("[data-testid=result-name]").textContent;
    try {
      const data = await call("/override", formBody(form, ["check_id", "reason", "staff"]));
      data.result.masked_name = data.result.masked_name || name;
      show(data.result);
      updateFamily(form.elements.check_id.value, data.result);
      form.reset();
      form.hidden = true;
      refreshCounts();
    } catch (error) { showError(error); }
  });

  $("id-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    try {
      const data = await call("/id-document", formBody(form, ["document_type", "number"]));
      show(data.result);
      offerFollowUp(data.result);
      form.elements.number.value = "";
      refreshCounts();
    } catch (error) { showError(error); }
  });

  // Events the server refused stay on the terminal; staff call the district office (issue 4).
  function showRefusedEvents(refused) {
    const box = $("refused-events");
    if (!refused || !refused.count) { box.hidden = true; return; }
    const english = document.documentElement.lang.startsWith("en");
    box.querySelector("[data-testid=refused-count]").textContent = statusText("refused-count", refused.count);
    const list = box.querySelector("[data-testid=refused-codes]");
    list.textContent = "";
    refused.codes.forEach((c) => {
      const li = document.createElement("li");
      li.dataset.code = c.code;
      li.textContent = c.code + " × " + c.count + ": " + (english ? c.message_en : c.message_zh);
      list.appendChild(li);
    });
    box.querySelector("[data-testid=refused-action]").textContent =
      statusText("refused-action").replace("{device}", refused.device_id);
    box.hidden = false;
  }

  async function refreshCounts() {
    try {
      const data = await call("/counts");
      Object.entries(data.counts || {}).forEach(([key, n]) => {
        const dd = document.querySelector('[data-count="' + key + '"]');
        if (dd) dd.textContent = String(n);
      });
      const status = data.status;
      const line = $("link-status");
      if (status) {
        // A revoked terminal is not offline: it is told to call the district office.
        const link = status.revoked
          ? statusText("revoked").replace("{device}", (status.refused_events || {}).device_id || "")
          : statusText(status.online ? "online" : "offline");
        const parts = [link];
        if (status.stale) parts.push(statusText("stale"));
        if (status.bundle_refused) parts.push(statusText("refused-" + status.bundle_refused));
        if (status.backlog) parts.push(statusText("backlog", status.backlog));
        line.textContent = parts.join(" · ");
        line.dataset.online = String(status.online);
        line.dataset.revoked = String(Boolean(status.revoked));
        line.dataset.refused = status.bundle_refused || "";
        showRefusedEvents(status.refused_events);
      }
      // The agent sends a root key rotation once; the notice stays until the page reloads.
      const rotated = data.root_rotated;
      if (rotated) {
        const notice = $("rotation-notice");
        notice.textContent = statusText("rotated")
          .replace("{previous}", rotated.previous).replace("{next}", rotated.next);
        notice.hidden = false;
      }
    } catch (error) { /* counts are a convenience; the next refresh tries again */ }
  }

  // Camera: frames go to the local agent as JPEG and are decoded there with zxing-cpp.
  let stream = null;
  let timer = null;
  async function startCamera() {
    const video = $("camera");
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    const canvas = document.createElement("canvas");
    let busy = false;
    let last = "";
    timer = setInterval(() => {
      if (busy || !video.videoWidth) return;
      busy = true;
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext("2d").drawImage(video, 0, 0);
      canvas.toBlob(async (blob) => {
        try {
          const data = await call("/decode", blob);
          if (data.text && data.text !== last) { last = data.text; addCode(data.text); }
        } catch (error) { /* no code in this frame */ }
        busy = false;
      }, "image/jpeg", 0.8);
    }, 400);
  }
  function stopCamera() {
    clearInterval(timer);
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    $("camera").hidden = true;
  }
  $("camera-button").addEventListener("click", async (event) => {
    const button = event.target;
    if (stream) { stopCamera(); button.textContent = button.dataset.start; return; }
    try { await startCamera(); button.textContent = button.dataset.stop; } catch (error) {
      showError({ code: "CAMERA", message: { "zh-CN": "无法打开摄像头", en: "Cannot open the camera" } });
    }
  });

  refreshCounts();
  setInterval(refreshCounts, 5000);
  $("scan-input").focus();
})();
