// Show a conditional question only when its condition holds (without JS all are shown).
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  if (!form) return;
  var boxes = form.querySelectorAll("[data-show-if]");
  function values(name) {
    var out = [];
    var inputs = form.querySelectorAll("input[name='" + name + "']");
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].checked) out.push(inputs[i].value);
    }
    return out;
  }
  function holds(box) {
    var got = values(box.getAttribute("data-show-if"));
    if (!got.length) return false;
    var op = box.getAttribute("data-op");
    var want = box.getAttribute("data-value");
    if (op === "lte") return Number(got[0]) <= Number(want);
    if (op === "gte") return Number(got[0]) >= Number(want);
    var allowed = want.split(",");
    return got.some(function (v) { return allowed.indexOf(v) !== -1; });
  }
  function update() {
    for (var i = 0; i < boxes.length; i++) {
      boxes[i].hidden = !holds(boxes[i]);
    }
  }
  form.addEventListener("change", update);
  update();
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
