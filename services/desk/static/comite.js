/* services/desk/static/comite.js - « Mes dossiers » kept up to date.
 *
 * Every few seconds the list (/comite/liste, with the page's filters) is
 * fetched again and put in place of the one shown only when it changed,
 * and never while the member is using a filter of it: no reload, no
 * flicker.  Without JavaScript the page works the same, reloaded by hand. */
(function () {
  "use strict";
  var PERIOD_MS = 4000;
  var shown = document.getElementById("liste-dossiers");
  if (!shown || !window.fetch || !window.DOMParser) {
    return;
  }
  function busy(list) {
    var active = document.activeElement;
    return active && active !== document.body && list.contains(active);
  }

  function refresh() {
    fetch("/comite/liste" + window.location.search, {credentials: "same-origin", cache: "no-store"})
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (text) {
        var list = document.getElementById("liste-dossiers");
        if (text === null || !list || busy(list)) {
          return;
        }
        var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("liste-dossiers");
        if (fresh && fresh.outerHTML !== list.outerHTML) {
          list.replaceWith(document.importNode(fresh, true));
        }
      })
      .catch(function () { /* the next round will try again */ })
      .then(function () {
        window.setTimeout(refresh, PERIOD_MS);
      });
  }
  window.setTimeout(refresh, PERIOD_MS);
})();
