// Every <time datetime="…Z" data-time> on the page, in the page's one time zone (<html data-time-zone>,
// labelled in #time-zone), exactly as the server writes it ("2026-12-05 08:21"): a row pushed over the socket
// (rendered once for everyone, in UTC) then reads the same as after a reload. A recent [data-relative] time reads
// "3 min ago", with the exact time in its title and in a tooltip shown on hover and keyboard focus; they stay
// current every 30 s, with no request. Home's panels that count days are counted again in the page's zone.
// The browser's own zone is sent once as the `time_zone` cookie: the server uses it when the account is not
// linked to a Recrubo user (whose zone comes first, as the embeddables use it).
(function () {
  "use strict";

  var COOKIE = "time_zone";
  var DAY = 86400;
  var root = document.documentElement;

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return "";
    }
  }

  function cookie(name) {
    var found = document.cookie.split("; ").filter(function (part) { return part.indexOf(name + "=") === 0; })[0];
    return found ? found.slice(name.length + 1) : "";
  }

  function rememberZone(zone) {
    // IANA names need no encoding (letters, digits, "/", "_", "+", "-"); anything else is not sent.
    if (!/^[A-Za-z0-9_\/+\-]{1,64}$/.test(zone) || cookie(COOKIE) === zone) return;
    var secure = window.location.protocol === "https:";
    // In a portal's frame only a SameSite=None cookie comes back; it needs Secure.
    document.cookie = COOKIE + "=" + zone + "; path=/; max-age=31536000; " +
      (secure ? "SameSite=None; Secure" : "SameSite=Lax");
  }

  var zone = root.getAttribute("data-time-zone") || "UTC";
  var browser = browserZone();
  rememberZone(browser);
  if (root.getAttribute("data-time-zone-from") === "default" && browser) {
    // The server had no zone for this page yet (first visit): show the browser's at once, and say so.
    zone = browser;
    root.setAttribute("data-time-zone", zone);
    root.setAttribute("data-time-zone-from", "browser");
  }

  var formats = {};
  function exact(date, seconds) {
    var key = seconds ? "s" : "m";
    if (!formats[key]) {
      var options = {timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
                     minute: "2-digit", hourCycle: "h23"};
      if (seconds) options.second = "2-digit";
      try {
        formats[key] = new Intl.DateTimeFormat("en-GB", options);
      } catch (error) {
        options.timeZone = zone = "UTC";
        formats[key] = new Intl.DateTimeFormat("en-GB", options);
      }
    }
    var parts = {};
    formats[key].formatToParts(date).forEach(function (part) { parts[part.type] = part.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute +
      (seconds ? ":" + parts.second : "");
  }

  function relative(date) {
    var age = (Date.now() - date.getTime()) / 1000;
    if (age < -60 || age >= DAY) return "";
    if (age < 60) return "just now";
    if (age < 3600) return Math.floor(age / 60) + " min ago";
    return Math.floor(age / 3600) + " h ago";
  }

  function show(element) {
    var date = new Date(element.getAttribute("datetime"));
    if (isNaN(date.getTime())) return;
    var text = exact(date, element.getAttribute("data-time") === "seconds");
    var recent = element.hasAttribute("data-relative") ? relative(date) : "";
    var shown = recent + "|" + text;
    if (element.getAttribute("data-shown") === shown) return;
    element.setAttribute("data-shown", shown);
    element.title = text;
    if (!recent) {
      element.removeAttribute("aria-label");
      element.textContent = text;
      return;
    }
    element.setAttribute("aria-label", recent + " (" + text + ")");
    var tip = document.createElement("span");
    tip.className = "time-exact";
    tip.textContent = text;
    element.replaceChildren(document.createTextNode(recent), tip);
  }

  // A panel that counts days ([data-counted-in], Home's "today" and chart) counted in another zone (a push is
  // counted once for every page, in UTC) is counted again by the server in this page's zone.
  function recount(element) {
    if (element.getAttribute("data-counted-in") === zone || !window.htmx) return;
    element.setAttribute("data-counted-in", zone);  // asked once
    window.htmx.ajax("GET", element.getAttribute("data-recount"), {source: element, target: element, swap: "outerHTML"});
  }

  function showAll(node) {
    if (node.nodeType !== 1) return;
    if (node.matches("time[data-time]")) show(node);
    node.querySelectorAll("time[data-time]").forEach(show);
    if (node.matches("[data-counted-in]")) recount(node);
    node.querySelectorAll("[data-counted-in]").forEach(recount);
  }

  function start() {
    var label = document.getElementById("time-zone-name");
    if (label) label.textContent = zone;
    showAll(document.body);
    // Pushed rows and htmx swaps bring new times: shown as they arrive.
    new MutationObserver(function (records) {
      records.forEach(function (record) { record.addedNodes.forEach(showAll); });
    }).observe(document.body, {childList: true, subtree: true});
    window.setInterval(function () { document.querySelectorAll("time[data-relative]").forEach(show); }, 30000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
