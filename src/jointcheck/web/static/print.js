// Print page: the print button (inline handlers are not allowed by the page's CSP).
"use strict";
(function () {
  const button = document.getElementById("print-button");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
})();
