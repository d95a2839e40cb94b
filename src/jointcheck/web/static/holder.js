// Holder page (R14): fetch a fresh health code every refresh period and count down to it.
// A code shown past its expiry is marked stale, so an old screenshot is easy to tell.
"use strict";
(function () {
  const qr = document.getElementById("health-code-qr");
  if (!qr || !window.fetch) {
    return;
  }
  const countdown = document.querySelector("[data-testid=countdown]");
  const expiry = document.getElementById("health-code-expiry");
  const button = document.getElementById("refresh-now");
  const period = Math.max(2, parseInt(qr.dataset.refreshSeconds, 10) || 60);
  let remaining = period;
  let expiresAt = Date.parse(qr.dataset.expiresAt);
  let offline = false;

  function say(template, seconds) {
    return template.replace("{seconds}", String(seconds));
  }

  function paint() {
    if (Date.now() > expiresAt) {
      countdown.textContent = countdown.dataset.stale;
      qr.classList.add("stale");
    } else if (offline) {
      countdown.textContent = countdown.dataset.offline;
    } else {
      countdown.textContent = say(countdown.dataset.template, remaining);
    }
  }

  async function refresh() {
    remaining = period;
    try {
      const response = await fetch(qr.dataset.refreshUrl, {
        credentials: "same-origin",
        headers: { "Accept": "application/json" },
        cache: "no-store",
      });
      if (response.status === 401) {
        window.location.assign("/login?next=/me");
        return;
      }
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      const code = await response.json();
      qr.src = code.image;
      qr.classList.remove("stale");
      expiresAt = Date.parse(code.expires_at);
      expiry.textContent = code.expires_display;
      qr.dataset.expiresAt = code.expires_at;
      qr.dataset.refreshes = String((parseInt(qr.dataset.refreshes, 10) || 0) + 1);
      offline = false;
    } catch (err) {
      offline = true;
    }
    paint();
  }

  setInterval(function () {
    remaining -= 1;
    if (remaining <= 0) {
      refresh();
    }
    paint();
  }, 1000);
  if (button) {
    button.addEventListener("click", refresh);
  }
  paint();
})();
