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

  /* "Vérifier ma candidature" without leaving the page: the form is sent
   * to the same check as without JavaScript (/candidature/verifier, which
   * runs the charter's own code), asking for JSON, and each failure is
   * shown next to its input.  Nothing is submitted. */
  function clearErrors(form) {
    document.querySelectorAll("#erreurs, #verification").forEach(function (el) { el.remove(); });
    form.querySelectorAll("p.error").forEach(function (el) {
      var input = document.getElementById("f-" + el.id.slice(2));
      if (input) {
        input.removeAttribute("aria-invalid");
        var ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
          return id && id !== el.id;
        });
        input.setAttribute("aria-describedby", ids.join(" "));
      }
      el.remove();
    });
    form.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
  }

  function showError(name, message) {
    var input = document.getElementById("f-" + name);
    if (!input) return false;
    var box = input.closest(".field") || input;
    box.classList.add("has-error");
    var p = document.createElement("p");
    p.className = "error";
    p.id = "e-" + name;
    var hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = "Erreur : ";
    p.appendChild(hidden);
    p.appendChild(document.createTextNode(message));
    var label = box.querySelector("legend, label");
    if (box.classList.contains("check") || !label) box.appendChild(p);
    else if (box.tagName === "FIELDSET") label.after(p);
    else input.before(p);
    if (input.tagName !== "FIELDSET") {
      input.setAttribute("aria-invalid", "true");
      var ids = (input.getAttribute("aria-describedby") || "").trim();
      input.setAttribute("aria-describedby", (ids ? ids + " " : "") + p.id);
    }
    return true;
  }

  function labelOf(name) {
    var input = document.getElementById("f-" + name);
    if (!input) return "";
    var label = input.tagName === "FIELDSET" ? input.querySelector("legend")
                                             : document.querySelector("label[for='" + CSS.escape(input.id) + "']");
    var text = label ? label.textContent.replace(/\s*\*\s*$/, "").trim() : "";
    var row = input.parentElement && input.parentElement.closest("fieldset.row");
    if (row && text) text = row.querySelector("legend").textContent.trim() + " — " + text;
    return text;
  }

  function showSummary(form, answer) {
    var div = document.createElement("div");
    div.tabIndex = -1;
    if (answer.ready) {
      div.className = "summary ready";
      div.id = "verification";
      div.setAttribute("role", "status");
      var p = document.createElement("p");
      p.textContent = form.getAttribute("data-ready");
      div.appendChild(p);
    } else {
      div.className = "summary";
      div.id = "erreurs";
      div.setAttribute("role", "alert");
      var h = document.createElement("h2");
      var n = answer.errors.length;
      h.textContent = n + (n > 1 ? " points à corriger" : " point à corriger");
      div.appendChild(h);
      var ul = document.createElement("ul");
      answer.errors.forEach(function (error) {
        var li = document.createElement("li");
        var label = labelOf(error.name);
        if (label) {
          var a = document.createElement("a");
          a.href = "#f-" + error.name;
          a.textContent = label;
          li.appendChild(a);
          li.appendChild(document.createTextNode(" : "));
        }
        li.appendChild(document.createTextNode(error.message));
        ul.appendChild(li);
      });
      div.appendChild(ul);
    }
    form.before(div);
    div.focus();
  }

  document.querySelectorAll("form.application button.check").forEach(function (button) {
    var form = button.form;
    button.addEventListener("click", function (event) {
      if (!window.fetch || !window.URLSearchParams) return;   /* the server's page instead */
      event.preventDefault();
      button.disabled = true;
      fetch(button.getAttribute("formaction"), {
        method: "POST",
        headers: {"Accept": "application/json",
                  "Content-Type": "application/x-www-form-urlencoded"},
        body: new URLSearchParams(new FormData(form)).toString()
      }).then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      }).then(function (answer) {
        clearErrors(form);
        answer.errors.forEach(function (error) { showError(error.name, error.message); });
        showSummary(form, answer);
      }).catch(function () {
        form.requestSubmit(button);   /* no answer: the page without JavaScript */
      }).finally(function () {
        button.disabled = false;
      });
    });
  });

  /* Bring the list of errors into view. */
  var summary = document.getElementById("erreurs") || document.getElementById("verification");
  if (summary) summary.focus();
})();
