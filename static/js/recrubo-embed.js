/* Behaviour for [data-recrubo-embed]: host one Recrubo embeddable iframe (recrubo-api.md §9).
 *
 * The server renders data-src (component URL), data-origin (the ONLY origin we talk to),
 * data-token and data-expires-at (minted server-side; never the API key), data-token-url (POST for
 * a fresh token) and data-settings (JSON). We post {action:'initialize', token, settings} on load,
 * accept messages only from our own frame's window at that origin, refresh the token before it
 * expires and when the network returns, size the frame from `resize` events, and log every message
 * in the inspector. Controls in a form [data-embed-controls=<embed id>] change settings live.
 */
(function () {
  "use strict";

  var REFRESH_MARGIN_MS = 5 * 60 * 1000;
  var MIN_HEIGHT = 160;
  var MAX_HEIGHT = 5000;
  var ERROR_WORDS = {
    invalid_token: "The component refused the sign-in token.",
    token_expired: "The sign-in token expired; a fresh one is being fetched.",
    origin_mismatch: "The component was started from an origin its token does not allow.",
    not_initialized: "The component got a message before it was initialized.",
    unknown_action: "The component does not know that action.",
    generation_failed: "The flow generation failed."
  };
  var embeds = [];

  function csrfHeaders() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers:inherited") || "{}");
    } catch (error) {
      return {};
    }
  }

  function summary(message) {
    try {
      var text = JSON.stringify(message);
      // Tokens are secrets of this page: the inspector never shows them whole.
      text = text.replace(/"token":"([^"]{0,6})[^"]*"/g, '"token":"$1…"');
      return text.length > 300 ? text.slice(0, 300) + "…" : text;
    } catch (error) {
      return String(message);
    }
  }

  function Embed(root) {
    this.root = root;
    this.frame = root.querySelector("iframe");
    this.origin = root.dataset.origin;
    this.token = root.dataset.token;
    this.expiresAt = Date.parse(root.dataset.expiresAt);
    this.settings = JSON.parse(root.dataset.settings || "{}");
    this.log = root.querySelector("[data-inspector-log]");
    this.status = root.querySelector("[data-embed-status]");
    this.height = 0;
    this.timer = null;
    // The load listener goes on before src, so the first load is never missed.
    this.frame.addEventListener("load", this.initialize.bind(this));
    this.frame.src = root.dataset.src;
    this.scheduleRefresh();
    window.addEventListener("online", this.refresh.bind(this));
    this.bindControls(document.querySelector('[data-embed-controls="' + root.id + '"]'));
  }

  Embed.prototype.send = function (message) {
    this.frame.contentWindow.postMessage(message, this.origin);
    this.record("out", this.origin, "sent", message);
  };

  Embed.prototype.initialize = function () {
    this.send({action: "initialize", token: this.token, settings: this.settings});
  };

  Embed.prototype.record = function (direction, origin, verdict, message, note) {
    if (!this.log) return;
    var item = document.createElement("li");
    item.className = "inspector-" + direction + " inspector-" + verdict;
    var time = document.createElement("time");
    time.textContent = new Date().toLocaleTimeString();
    item.appendChild(time);
    item.appendChild(document.createTextNode(
      (direction === "in" ? " ← from " : " → to ") + origin + " · " + verdict +
      (note ? " (" + note + ")" : "") + ": " + summary(message)));
    this.log.appendChild(item);
  };

  Embed.prototype.say = function (text, isError) {
    if (!this.status) return;
    this.status.textContent = text;
    this.status.classList.toggle("embed-status-error", Boolean(isError));
  };

  Embed.prototype.receive = function (event) {
    if (event.origin !== this.origin) {
      this.record("in", event.origin, "rejected", event.data, "not the component's origin");
      return;
    }
    var message = event.data;
    if (!message || typeof message !== "object" || typeof message.event !== "string") {
      this.record("in", event.origin, "rejected", message, "not a component event");
      return;
    }
    this.record("in", event.origin, "accepted", message);
    var data = message.data || {};
    if (message.event === "initialized") {
      this.say("Connected.");
    } else if (message.event === "resize") {
      this.resize(Number(data.height));
    } else if (message.event === "tokenExpiring") {
      this.refresh();
    } else if (message.event === "error") {
      this.say(ERROR_WORDS[data.code] || data.message || "The component reported an error.", true);
      if (data.code === "token_expired" || data.code === "invalid_token") this.refresh();
    }
  };

  Embed.prototype.resize = function (height) {
    if (!isFinite(height)) return;
    height = Math.max(MIN_HEIGHT, Math.min(MAX_HEIGHT, Math.ceil(height)));
    // Ignore echoes of our own resizing: only a real change of content height moves the frame.
    if (Math.abs(height - this.height) < 2) return;
    this.height = height;
    this.frame.style.height = height + "px";
  };

  Embed.prototype.scheduleRefresh = function () {
    clearTimeout(this.timer);
    var wait = Math.max(5000, this.expiresAt - Date.now() - REFRESH_MARGIN_MS);
    this.timer = setTimeout(this.refresh.bind(this), Math.min(wait, 2147483647));
  };

  Embed.prototype.refresh = function () {
    var self = this;
    var headers = csrfHeaders();
    headers.Accept = "application/json";
    fetch(this.root.dataset.tokenUrl, {method: "POST", headers: headers, credentials: "same-origin"})
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error((body.errors && body.errors[0] && body.errors[0].detail) || response.status);
          return body;
        });
      })
      .then(function (body) {
        self.token = body.token;
        self.expiresAt = Date.parse(body.expiresAt);
        self.record("out", "dashboard", "token", {expiresAt: body.expiresAt}, "fresh token");
        self.initialize();
        self.scheduleRefresh();
      })
      .catch(function (error) {
        self.say("Could not refresh the sign-in token: " + error.message + ". Retrying in a minute.", true);
        clearTimeout(self.timer);
        self.timer = setTimeout(self.refresh.bind(self), 60000);
      });
  };

  Embed.prototype.bindControls = function (form) {
    if (!form) return;
    var self = this;
    form.addEventListener("change", function (event) {
      var key = event.target.dataset.setting;
      if (!key) return;
      var value = event.target.type === "checkbox" ? event.target.checked : event.target.value;
      var change = {};
      if (key.indexOf("theme.") === 0) {
        change.theme = {};
        change.theme[key.slice(6)] = value;
        self.settings.theme = Object.assign({}, self.settings.theme, change.theme);
      } else {
        change[key] = value;
        self.settings[key] = value;
      }
      self.send({action: "updateSettings", settings: change});
    });
    form.addEventListener("click", function (event) {
      var action = event.target.dataset && event.target.dataset.action;
      if (!action) return;
      var input = form.querySelector('[data-action-argument="' + action + '"]');
      self.send({action: action, arguments: [input ? input.value.trim() : ""]});
    });
  };

  // One listener for the page: a message belongs to the embed whose frame sent it; a message from
  // any other window is forged or stray, and every inspector lists it as rejected.
  window.addEventListener("message", function (event) {
    for (var i = 0; i < embeds.length; i++) {
      if (event.source === embeds[i].frame.contentWindow) {
        embeds[i].receive(event);
        return;
      }
    }
    embeds.forEach(function (embed) {
      embed.record("in", event.origin || "unknown", "rejected", event.data, "not from this component's frame");
    });
  });

  function start() {
    document.querySelectorAll("[data-recrubo-embed]").forEach(function (root) {
      if (!root.recruboEmbed) {
        root.recruboEmbed = new Embed(root);
        embeds.push(root.recruboEmbed);
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
