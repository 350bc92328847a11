/* The embeddable protocol every sandbox component shares (recrubo-api.md §9.3, §9.4, S36, S37).
 *
 * Waits for {action:'initialize', token, settings} from the parent window, has the server check the
 * token against the sender's origin, then talks to that origin only: events go out with
 * postMessage(..., originUrl), never '*', and later messages from any other origin are ignored.
 * The token stays in this page's memory and goes to the component's JSON endpoints as a header.
 * A component script calls RecruboComponent.define({defaults, actions, start, settingsChanged, resume}).
 */
(function () {
  "use strict";

  var EXPIRY_WARNING_MS = 5 * 60 * 1000;
  var TOKEN_HEADER = "X-Recrubo-Embed-Token";
  var root = document.getElementById("component");
  var api = root.dataset.api;
  var waiting = root.querySelector("[data-waiting]");
  var errorBox = root.querySelector("[data-error]");
  var view = root.querySelector("[data-view]");
  var session = {token: null, origin: null, expiresAt: null, user: null, organization: null};
  var definition = null;
  var settings = {};
  var started = false;
  var expiringTimer = null;
  var lastHeight = 0;
  var pending = [];

  function h(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      var value = props[key];
      if (value === null || value === undefined || value === false) return;
      if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else if (key === "text") node.textContent = value;
      else if (key === "value" || (key in node && key !== "list" && typeof value !== "string")) node[key] = value;
      else node.setAttribute(key, value === true ? "" : value);
    });
    [].concat(children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function post(event, data, origin) {
    window.parent.postMessage({event: event, data: data || {}}, origin || session.origin);
  }

  function showError(error) {
    errorBox.hidden = false;
    errorBox.replaceChildren(h("strong", {text: error.title || "Recrubo could not sign in"}),
                             h("span", {text: " " + error.message}), h("code", {text: error.code}));
  }

  function fail(error, origin) {
    showError(error);
    post("error", {code: error.code, message: error.message}, origin);
  }

  function errorOf(body, status) {
    if (body && body.error) return body.error;
    var first = body && body.errors && body.errors[0];
    var detail = first && (typeof first.detail === "string" ? first.detail : first.title);
    return {code: (first && first.code) || "request_failed", message: detail || "The request failed (" + status + ")."};
  }

  // A call to the component's own JSON endpoints; a token refused mid-session is reported to the host.
  function request(method, path, body) {
    var options = {method: method, headers: {Accept: "application/json"}, credentials: "omit"};
    options.headers[TOKEN_HEADER] = session.token;
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(api + path, options).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (response.ok) return data;
        var error = errorOf(data, response.status);
        if (error.code === "token_expired" || error.code === "invalid_token") {
          fail({title: "Signed out", code: error.code, message: error.message});
        }
        throw error;
      });
    });
  }

  function merge(base, change) {
    var merged = Object.assign({}, base);
    Object.keys(change || {}).forEach(function (key) {
      // Shallow, except that theme keys merge one by one (S36).
      merged[key] = key === "theme" ? Object.assign({}, base.theme, change.theme) : change[key];
    });
    return merged;
  }

  function applyTheme() {
    var theme = settings.theme || {};
    Object.keys(theme).forEach(function (key) {
      if (typeof theme[key] === "string" && /^#[0-9a-fA-F]{3,8}$/.test(theme[key])) {
        document.documentElement.style.setProperty("--rc-" + key, theme[key]);
      }
    });
  }

  function scheduleExpiring() {
    clearTimeout(expiringTimer);
    var expiresAt = session.expiresAt;
    var wait = Math.max(0, Date.parse(expiresAt) - Date.now() - EXPIRY_WARNING_MS);
    // Once per token: the host answers with a new initialize, which schedules the next warning.
    expiringTimer = setTimeout(function () { post("tokenExpiring", {expiresAt: expiresAt}); }, Math.min(wait, 2147483647));
  }

  function reportHeight() {
    if (!session.origin) return;
    // The content's own height, never the frame's: resizing the frame cannot feed back into it.
    var height = Math.ceil(root.getBoundingClientRect().height);
    if (height === lastHeight) return;
    lastHeight = height;
    post("resize", {height: height});
  }

  function initialize(message, origin) {
    var token = message.token;
    fetch(api + "/session", {method: "POST", credentials: "omit",
                             headers: {"Content-Type": "application/json", Accept: "application/json"},
                             body: JSON.stringify({token: token, origin: origin})})
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw errorOf(body, response.status);
          return body;
        });
      })
      .then(function (body) {
        var first = !session.origin;
        session.token = token;
        session.origin = origin;
        session.expiresAt = body.expiresAt;
        session.user = body.user;
        session.organization = body.organization;
        errorBox.hidden = true;
        var next = merge(first ? merge({}, definition.defaults) : settings, message.settings || {});
        var changed = JSON.stringify(next) !== JSON.stringify(settings);
        settings = next;
        applyTheme();
        waiting.hidden = true;
        view.hidden = false;
        post("initialized", {component: root.dataset.component});
        scheduleExpiring();
        // A re-initialize with a fresh token keeps the view as it is, drafts included (S36).
        if (!started) {
          started = true;
          definition.start(context);
        } else {
          if (changed && definition.settingsChanged) definition.settingsChanged(context, message.settings);
          // Calls made with the old token may have been refused: catch up at once with the new one.
          if (definition.resume) definition.resume(context);
        }
        reportHeight();
      })
      .catch(function (error) {
        // Token errors go to the sender's origin (S37); the session, if any, stays as it was.
        fail({code: error.code || "invalid_token", message: error.message || String(error)}, origin);
      });
  }

  function actionOf(message) {
    if (message.action && typeof message.action === "object") {
      return {name: message.action.name, args: message.action.arguments || []};
    }
    return {name: message.action, args: message.arguments || []};
  }

  function receive(event) {
    if (event.source !== window.parent) return;
    // After initialize only the host's origin is heard; anything else is ignored (S36).
    if (session.origin && event.origin !== session.origin) return;
    var message = event.data;
    if (!message || typeof message !== "object") return;
    var action = actionOf(message);
    if (action.name === "initialize") return initialize(message, event.origin);
    if (!session.origin) {
      post("error", {code: "not_initialized", message: "Send initialize with a token first."}, event.origin);
      return;
    }
    if (action.name === "updateSettings") {
      settings = merge(settings, message.settings || {});
      applyTheme();
      if (definition.settingsChanged) definition.settingsChanged(context, message.settings || {});
    } else if (definition.actions && definition.actions[action.name]) {
      definition.actions[action.name].apply(null, [context].concat(action.args));
    } else {
      post("error", {code: "unknown_action", message: "This component has no action " + JSON.stringify(action.name) + "."});
    }
  }

  function formatTime(iso, options) {
    var zone = (session.user && session.user.timeZone) || undefined;
    try {
      return new Intl.DateTimeFormat("en-GB", Object.assign({timeZone: zone}, options ||
        {day: "numeric", month: "short", hour: "2-digit", minute: "2-digit"})).format(new Date(iso));
    } catch (error) {
      return iso;
    }
  }

  var context = {
    view: view,
    h: h,
    // Replace a node's children, leaving out the parts a setting switched off (null).
    fill: function (node, children) {
      node.replaceChildren.apply(node, children.filter(function (child) { return child; }));
    },
    request: request,
    formatTime: formatTime,
    emit: function (event, data) { post(event, data); },
    settings: function () { return settings; },
    session: function () { return session; },
    // Poll while the page is visible, so a hidden tab costs nothing.
    every: function (ms, fn) {
      setInterval(function () { if (!document.hidden && session.origin) fn(); }, ms);
    },
    problem: function (error) {
      if (error && (error.code === "token_expired" || error.code === "invalid_token")) return;
      showError({title: "Something went wrong", code: (error && error.code) || "error",
                 message: (error && error.message) || String(error)});
    },
    clearProblem: function () { errorBox.hidden = true; }
  };

  window.RecruboComponent = {
    define: function (spec) {
      definition = spec;
      pending.forEach(receive);
      pending = [];
    }
  };

  // Messages that arrive before the component's own script has run are kept, then handled in order.
  window.addEventListener("message", function (event) {
    if (definition) receive(event);
    else pending.push(event);
  });
  new ResizeObserver(reportHeight).observe(root);
})();
