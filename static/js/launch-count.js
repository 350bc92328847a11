// Behaviour for [data-launch-count] (the launch form's submit button): it says what the launch will do, e.g.
// "Launch Quick screening for 137 threads", from the flow picked and either "select all" (the number of matches
// the picker counted, at most the limit) or the threads ticked one by one, plus a new candidate when one is typed.
(function () {
  "use strict";

  function count(form) {
    var all = form.querySelector("#allMatching");
    if (all && all.checked) {
      var matches = form.querySelector("#thread-matches");
      return parseInt(matches && matches.getAttribute("data-matches"), 10) || 0;
    }
    var ticked = form.querySelectorAll('input[name="messageThreadId"]:checked').length;
    var channel = form.querySelector("#newChannel");
    return ticked + (channel && channel.value ? 1 : 0);
  }

  function label(button) {
    var form = button.form;
    if (!form) return;
    var flow = form.querySelector("#flowId");
    var name = flow && flow.value ? flow.options[flow.selectedIndex].text : "";
    var threads = count(form);
    button.textContent = "Launch" + (name ? " " + name : "") +
      (threads ? " for " + threads + " thread" + (threads === 1 ? "" : "s") : "");
  }

  function update() {
    document.querySelectorAll("[data-launch-count]").forEach(label);
  }

  document.addEventListener("change", update);
  document.addEventListener("htmx:after:settle", update);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", update);
  } else {
    update();
  }
})();
