// Behaviour for #live (the page's hx-ws:connect element): the connecting / live / reconnecting / offline /
// stale indicator, announcements of important changes, and catch-up after every reconnect.
// Stale: the server could not catch the page up (it was too far behind to replay); the page says so and offers
// a one-click Refresh (#live-refresh) rather than reloading under the reader's hands.
// Catch-up: every push carries its sequence number; before each (re)connect the socket URL is set to
// `since=<last seen>`, and the server replays whatever the page missed while it was disconnected.
(function () {
  "use strict";

  var RECONNECT_CODES = [1001, 1005, 1006, 1011, 1012, 1013, 1014];
  var LABELS = {connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", offline: "Offline",
                stale: "Out of date: refresh to catch up"};

  function start() {
    var element = document.getElementById("live");
    var indicator = document.getElementById("live-status");
    var announcer = document.getElementById("live-announcer");
    if (!element || !indicator) return;
    var refresh = document.getElementById("live-refresh");
    // A page that watches nothing live has no seq: it has nothing to catch up on.
    var resumes = element.hasAttribute("data-live-seq");
    var seq = parseInt(element.getAttribute("data-live-seq"), 10) || 0;
    var everOpen = false;
    var open = false;
    var stale = false;

    function show(state) {
      if (stale) state = "stale";  // until refreshed: later pushes cannot make the page whole again
      indicator.setAttribute("data-state", state);
      indicator.textContent = LABELS[state];
      if (refresh) refresh.hidden = state !== "stale";
    }

    if (refresh) refresh.addEventListener("click", function () { window.location.reload(); });

    function announce(text) {
      if (!announcer) return;
      // Cleared first so the same sentence twice is announced twice; polite, so focus never moves.
      announcer.textContent = "";
      window.setTimeout(function () { announcer.textContent = text; }, 50);
    }

    // hx-ws reads connection.url for every (re)connect, including the one after the tab is shown again.
    function resumeFromSeq(connection) {
      if (!resumes || !connection || !connection.url) return;
      var url = new URL(connection.url);
      url.searchParams.set("since", String(seq));
      connection.url = url.toString();
    }

    element.addEventListener("htmx:ws:before:connection", function (event) {
      resumeFromSeq(event.detail.connection);
      if (navigator.onLine === false) show("offline");  // attempts go on, but the network is gone
      else show(everOpen ? "reconnecting" : "connecting");
    });
    element.addEventListener("htmx:ws:after:connection", function (event) {
      everOpen = true;
      open = true;
      resumeFromSeq(event.detail.connection);
      show("live");
    });
    element.addEventListener("htmx:ws:close", function (event) {
      open = false;
      var reconnects = RECONNECT_CODES.indexOf(event.detail.code) >= 0 || document.hidden;
      show(reconnects && navigator.onLine !== false ? "reconnecting" : "offline");
    });
    element.addEventListener("htmx:ws:after:message:incoming", function (event) {
      var connection = event.detail.connection;
      event.detail.message.json().then(function (body) {
        if (body.reload) {
          // Too far behind to replay: only a reload shows the current state. Said, with a button, not done
          // behind the reader's back (a half-filled form would be lost).
          stale = true;
          show("stale");
          announce("This page is out of date. Refresh it to catch up.");
          return;
        }
        if (typeof body.seq === "number" && body.seq > seq) {
          seq = body.seq;
          element.setAttribute("data-live-seq", String(seq));
          resumeFromSeq(connection);
        }
        if (body.announce) announce(body.announce);
      }).catch(function () { /* not one of our frames */ });
    });
    window.addEventListener("offline", function () { show("offline"); });
    // An open socket may survive a short network loss; the indicator then returns to what the socket is.
    window.addEventListener("online", function () { show(open ? "live" : "reconnecting"); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
