/* ESS Pratiques: what the pages do better with JavaScript.  Everything
 * also works without it: rows are added by the server, the tracking code
 * is typed in by hand. */
(function () {
  "use strict";

  /* "Add a row" without a round trip: clone the last row, renumber it,
   * empty it. */
  function renumber(node, from, to) {
    ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
      node.querySelectorAll("[" + attr + "]").forEach(function (el) {
        el.setAttribute(attr, el.getAttribute(attr).split("[" + from + "]").join("[" + to + "]"));
      });
    });
  }

  function addRow(container) {
    var rows = container.querySelectorAll("fieldset.row");
    var last = rows[rows.length - 1];
    var index = rows.length;
    if (index >= 50) return;
    var row = last.cloneNode(true);
    renumber(row, index - 1, index);
    row.setAttribute("data-row", String(index));
    row.querySelector("legend .n").textContent = String(index + 1);
    row.querySelectorAll("input, textarea, select").forEach(function (el) {
      if (el.type === "checkbox") el.checked = false;
      else el.value = "";
      el.removeAttribute("aria-invalid");
    });
    row.querySelectorAll(".error").forEach(function (el) { el.remove(); });
    row.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    last.after(row);
    var first = row.querySelector("input, textarea, select");
    if (first) first.focus();
  }

  document.querySelectorAll(".rows button.add-row").forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      addRow(button.closest(".rows"));
    });
  });

  /* The receipt's link carries the token in the fragment, which never
   * reaches the server: fill in the tracking form and send it. */
  var follow = document.querySelector("form.follow-form");
  var match = /[#&]jeton=([A-Za-z0-9_-]+)/.exec(window.location.hash);
  if (follow && match) {
    follow.querySelector("input[name=jeton]").value = match[1];
    follow.submit();
  }

  /* Bring the list of errors into view. */
  var summary = document.getElementById("erreurs");
  if (summary) summary.focus();
})();
