// OKR Ledger board: the only script, loaded from this file (the CSP allows no inline script).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var print = document.getElementById("print-pack");
  if (print) {
    print.addEventListener("click", function () { window.print(); });
  }
});
