/* When an allowed intranet page frames the dashboard, tell it our content height so it can size the
 * frame. The allowed origins come from data-frame-ancestors on <body> (the CSP frame-ancestors list);
 * the message goes to the parent's origin only, never '*'. The intranet snippet is on /settings.
 */
(function () {
  "use strict";
  if (window.parent === window) return;
  var allowed = (document.body.dataset.frameAncestors || "").split(/\s+/).map(function (source) {
    return source === "'self'" ? window.location.origin : source;
  });
  var parentOrigin = null;
  if (window.location.ancestorOrigins && window.location.ancestorOrigins.length) {
    parentOrigin = window.location.ancestorOrigins[0];
  } else if (document.referrer) {
    parentOrigin = new URL(document.referrer).origin;
  }
  if (!parentOrigin || allowed.indexOf(parentOrigin) < 0) return;
  var last = 0;
  function report() {
    // The html element's own height is the content's, whatever the frame's size: no feedback loop.
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (Math.abs(height - last) < 2) return;
    last = height;
    window.parent.postMessage({event: "recruboDashboardResize", data: {height: height}}, parentOrigin);
  }
  new ResizeObserver(report).observe(document.body);
  report();
})();
