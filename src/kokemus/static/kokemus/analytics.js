/* Dashboards: render Vega-Lite specs found in <script type="application/json"> blocks.
 * CSP-safe: specs are JSON (never executed) and Vega evaluates expressions with the
 * vega-interpreter (ast: true) instead of `new Function`. */
(function () {
  "use strict";

  function embed(el) {
    var source = document.getElementById(el.getAttribute("data-spec-id"));
    if (!source || !window.vegaEmbed) { return; }
    var spec = JSON.parse(source.textContent);
    window.vegaEmbed(el, spec, {
      ast: true,
      expr: window.vegaInterpreter,
      renderer: "svg",
      actions: { export: true, source: false, compiled: false, editor: false },
      defaultStyle: false,
      forceActionsMenu: true,
      tooltip: { disableDefaultStyle: true },
      downloadFileName: el.getAttribute("data-spec-id")
    }).then(function () {
      var summary = el.querySelector("summary");
      if (summary) { summary.setAttribute("aria-label", el.getAttribute("data-actions-label") || "Download"); }
      el.setAttribute("data-rendered", "true");
    }).catch(function (err) {
      el.setAttribute("data-error", String(err));
      el.textContent = el.getAttribute("data-fallback") || "";
    });
  }

  function init(root) {
    var charts = (root || document).querySelectorAll("div.chart[data-spec-id]");
    for (var i = 0; i < charts.length; i++) { embed(charts[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  document.addEventListener("htmx:afterSwap", function (e) { init(e.target); });
})();
