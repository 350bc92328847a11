/* Behaviour for [data-keep-url]: a form that acts in place (launching a flow from a candidate's page) keeps the
 * page's address, though the action's answer names its own page (HX-Push-Url) for when it is used elsewhere.
 */
(function () {
  "use strict";
  document.addEventListener("htmx:before:history:update", function (event) {
    var source = event.detail && event.detail.sourceElement;
    if (source && source.closest && source.closest("[data-keep-url]")) event.preventDefault();
  });
})();
