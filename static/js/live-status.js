// Behaviour for #live (the page's hx-ws:connect element): the live / reconnecting / offline
// indicator, announcements of important changes, and catch-up after every reconnect.
// Catch-up: every push carries its sequence number; before each (re)connect the socket URL is set to
// `since=<last seen>`, and the server replays whatever the page missed while it was disconnected.
(function () {
  "use strict";

  var RECONNECT_CODES = [1001, 1005, 1006, 1011, 1012, 1013, 1014];
  var LABELS = {connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", offline: "Offline"};

  function start() {
    var element = document.getElementById("live");
    var indicator = document.getElementById("live-status");
    var announcer = document.getElementById("live-announcer");
    if (!element || !indicator) return;
    var seq = parseInt(element.getAttribute("data-live-seq"), 10) || 0;
    var everOpen = false;

    function show(state) {
      indicator.setAttribute("data-state", state);
      indicator.textContent = LABELS[state];
    }

    function announce(text) {
      if (!announcer) return;
      // Cleared first so the same sentence twice is announced twice; polite, so focus never moves.
      announcer.textContent = "";
      window.setTimeout(function () { announcer.textContent = text; }, 50);
    }

    // hx-ws reads connection.url for every (re)connect, including the one after the tab is shown again.
    function resumeFromSeq(connection) {
      if (!connection || !connection.url) return;
      var url = new URL(connection.url);
      url.searchParams.set("since", String(seq));
      connection.url = url.toString();
    }

    element.addEventListener("htmx:ws:before:connection", function (event) {
      resumeFromSeq(event.detail.connection);
      show(everOpen ? "reconnecting" : "connecting");
    });
    element.addEventListener("htmx:ws:after:connection", function (event) {
      everOpen = true;
      resumeFromSeq(event.detail.connection);
      show("live");
    });
    element.addEventListener("htmx:ws:close", function (event) {
      var reconnects = RECONNECT_CODES.indexOf(event.detail.code) >= 0 || document.hidden;
      show(reconnects && navigator.onLine !== false ? "reconnecting" : "offline");
    });
    element.addEventListener("htmx:ws:after:message:incoming", function (event) {
      var connection = event.detail.connection;
      event.detail.message.json().then(function (body) {
        if (body.reload) {
          // Too far behind to replay: the page itself is the exact current state.
          window.location.reload();
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
    window.addEventListener("online", function () {
      if (indicator.getAttribute("data-state") === "offline") show("reconnecting");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
