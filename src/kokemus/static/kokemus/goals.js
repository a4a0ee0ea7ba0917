/* Goals: render the perception-gap Vega-Lite spec (JSON in <script type="application/json">).
 * CSP-safe: Vega evaluates expressions with vega-interpreter (ast: true). The same numbers
 * are always in the table next to the chart. */
(function () {
  "use strict";
  function embed(el) {
    var source = document.getElementById(el.getAttribute("data-spec-id"));
    if (!source || !window.vegaEmbed) { return; }
    window.vegaEmbed(el, JSON.parse(source.textContent), {
      ast: true, expr: window.vegaInterpreter, renderer: "svg", actions: false,
      defaultStyle: false
    }).then(function () { el.setAttribute("data-rendered", "true"); })
      .catch(function (err) { el.setAttribute("data-error", String(err)); });
  }
  function init() {
    var charts = document.querySelectorAll("div.chart[data-spec-id]");
    for (var i = 0; i < charts.length; i++) { embed(charts[i]); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else { init(); }
})();
