// Verify page: send the pasted code or the image with fetch and show the server-rendered
// result in place, without reloading the page. Without JavaScript the form posts normally.
"use strict";
(function () {
  const form = document.getElementById("verify-form");
  const result = document.getElementById("verify-result");
  if (!form || !result || !window.fetch) {
    return;
  }
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    result.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(form.action + "?fragment=1", {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "Accept": "text/html" },
      });
      // The server renders the result (or the error) as HTML in the page's language.
      result.innerHTML = await response.text();
    } catch (err) {
      result.textContent = form.dataset.offline || String(err);
    } finally {
      button.disabled = false;
      result.removeAttribute("aria-busy");
      result.scrollIntoView({ block: "start" });
    }
  });
  form.addEventListener("reset", function () {
    result.innerHTML = "";
  });
})();
