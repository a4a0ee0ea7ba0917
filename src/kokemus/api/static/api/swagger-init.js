/* Starts Swagger UI on /api/docs; the settings come from a JSON data block. */
(function () {
  "use strict";
  var el = document.getElementById("swagger-settings");
  var config = JSON.parse(el.textContent);
  config.dom_id = "#swagger-ui";
  config.presets = [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset];
  window.ui = SwaggerUIBundle(config);
})();
