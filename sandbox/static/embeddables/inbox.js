/* The Inbox component (§9.5, S38): the organization's conversations, their messages, and replying. */
(function () {
  "use strict";

  var POLL_MS = 2500;
  var state = {conversations: [], current: null, detail: null, tab: "open", query: "", unreadOnly: false,
               editing: false};
  var parts = {};

  function initials(name) {
    return (name || "?").split(/\s+/).map(function (word) { return word.charAt(0); }).join("").slice(0, 2).toUpperCase();
  }

  function nameOf(conversation) {
    return conversation.candidate ? conversation.candidate.name : "+" + conversation.identifier;
  }

  function layout(ctx) {
    var h = ctx.h;
    var s = ctx.settings();
    var session = ctx.session();
    parts.list = h("ul", {class: "rc-conversations", "aria-label": "Conversations"});
    parts.thread = h("section", {class: "rc-thread", "aria-label": "Conversation"});
    var tools = h("div", {class: "rc-list-tools"}, [
      s.showTabPanel !== false ? h("div", {class: "rc-tabs", role: "tablist"}, [
        s.showTabOpen !== false ? tab(ctx, "open", "Open") : null,
        s.showTabClosed !== false ? tab(ctx, "closed", "Closed") : null]) : null,
      s.showConversationSearch ? h("input", {class: "rc-input", type: "search", placeholder: "Search candidates",
        "aria-label": "Search candidates", value: state.query,
        oninput: function (event) { state.query = event.target.value; renderList(ctx); }}) : null,
      s.showConversationFilter ? h("label", {class: "rc-row rc-small"}, [
        h("input", {type: "checkbox", checked: state.unreadOnly,
          onchange: function (event) { state.unreadOnly = event.target.checked; renderList(ctx); }}),
        "Unread only"]) : null]);
    ctx.fill(ctx.view, [
      s.showTopBar !== false ? h("header", {class: "rc-bar"}, [h("h1", {text: "Inbox"}),
        h("span", {class: "rc-who", text: session.organization.name + " · " + session.user.fullName})]) : null,
      h("div", {class: "rc-inbox" + (s.showTabPanel === false ? " rc-no-list" : "")}, [
        s.showTabPanel !== false ? h("nav", {class: "rc-list"}, [tools, parts.list]) : null, parts.thread])]);
    renderList(ctx);
    openConversation(ctx, state.current);
  }

  function tab(ctx, value, label) {
    return ctx.h("button", {class: "rc-tab", role: "tab", type: "button", "aria-selected": String(state.tab === value),
      text: label, onclick: function () { state.tab = value; layout(ctx); }});
  }

  function visibleConversations() {
    var query = state.query.trim().toLowerCase();
    return state.conversations.filter(function (c) {
      return c.status === state.tab && (!state.unreadOnly || c.unreadMessagesCount > 0) &&
        (!query || nameOf(c).toLowerCase().indexOf(query) >= 0 || (c.identifier || "").indexOf(query) >= 0);
    });
  }

  function renderList(ctx) {
    if (!parts.list) return;
    var h = ctx.h;
    var shown = visibleConversations();
    parts.list.replaceChildren.apply(parts.list, shown.length ? shown.map(function (c) {
      return h("li", {}, h("button", {class: "rc-conversation", type: "button", "data-conversation-id": c.id,
        "aria-current": String(c.id === state.current), onclick: function () { select(ctx, c.id); }}, [
        h("span", {class: "rc-avatar", "aria-hidden": "true", text: initials(nameOf(c))}),
        h("strong", {text: nameOf(c)}),
        c.unreadMessagesCount ? h("span", {class: "rc-unread", text: String(c.unreadMessagesCount)})
          : h("span", {class: "rc-small rc-muted", text: c.lastMessage ? ctx.formatTime(c.lastMessage.createdAt,
            {day: "numeric", month: "short"}) : ""}),
        h("span", {class: "rc-preview", text: c.lastMessage ? (c.lastMessage.origin === "outbound" ? "You: " : "") +
          c.lastMessage.text : "No messages yet"})]));
    }) : [h("li", {class: "rc-empty", text: "No " + state.tab + " conversations."})]);
  }

  function select(ctx, id) {
    state.current = id;
    renderList(ctx);
    openConversation(ctx, id);
    ctx.emit("conversationSelected", {conversationId: id});
  }

  function openConversation(ctx, id) {
    var h = ctx.h;
    state.detail = null;
    state.editing = false;
    if (!id) {
      parts.thread.replaceChildren(h("div", {class: "rc-empty", text: "Choose a conversation on the left."}));
      return;
    }
    parts.head = h("div", {class: "rc-thread-head"});
    parts.banner = h("div");
    parts.messages = h("ol", {class: "rc-messages", id: "rc-messages", "aria-live": "polite"});
    parts.details = h("div");
    parts.composer = ctx.settings().showSendMessage !== false ? composer(ctx, id) : null;
    ctx.fill(parts.thread, [parts.head, parts.banner, parts.messages, parts.composer, parts.details]);
    loadConversation(ctx, id, true);
  }

  function loadConversation(ctx, id, markRead) {
    return ctx.request("GET", "/inbox/conversations/" + encodeURIComponent(id)).then(function (body) {
      if (state.current !== id) return;
      state.detail = body.conversation;
      renderThread(ctx);
      if (markRead && body.conversation.unreadMessagesCount) {
        change(ctx, {unreadMessages: false});
      }
    }).catch(function (error) {
      if (error.code === "not_found") {
        parts.thread.replaceChildren(h404(ctx));
      } else {
        ctx.problem(error);
      }
    });
  }

  function h404(ctx) {
    return ctx.h("div", {class: "rc-empty", text: "This conversation does not exist (any more)."});
  }

  function change(ctx, attributes) {
    return ctx.request("POST", "/inbox/conversations/" + encodeURIComponent(state.current), attributes)
      .then(function (body) {
        state.detail = body.conversation;
        renderThread(ctx);
        return refreshList(ctx);
      }).catch(ctx.problem);
  }

  function renderThread(ctx) {
    var h = ctx.h;
    var c = state.detail;
    var s = ctx.settings();
    if (!c || !parts.head) return;
    parts.head.replaceChildren(
      h("span", {class: "rc-avatar", "aria-hidden": "true", text: initials(nameOf(c))}),
      h("div", {}, [h("strong", {text: nameOf(c)}), h("div", {class: "rc-small rc-muted"}, [
        h("span", {class: "rc-badge", text: c.channel}), " +" + c.identifier,
        c.chatbotPaused ? h("span", {class: "rc-badge rc-bad", text: "bot paused"}) : null])]),
      h("div", {class: "rc-actions"}, [
        s.showCandidateOpenExternal && c.candidate ? h("button", {class: "rc-button rc-quiet", type: "button",
          text: "Open candidate", onclick: function () {
            ctx.emit("candidateOpenExternal", {candidateId: c.candidate.id, conversationId: c.id});
          }}) : null,
        s.showPauseChatbot ? h("button", {class: "rc-button rc-quiet", type: "button",
          text: c.chatbotPaused ? "Resume bot" : "Pause bot",
          onclick: function () { change(ctx, {chatbotPaused: !c.chatbotPaused}); }}) : null,
        h("button", {class: "rc-button rc-quiet", type: "button", text: c.status === "open" ? "Close" : "Reopen",
          onclick: function () { change(ctx, {status: c.status === "open" ? "closed" : "open"}); }})]));
    parts.banner.replaceChildren(s.showChatDisabledBanner !== false && !c.windowOpen ? h("p", {class: "rc-notice",
      text: "The candidate has not written in 24 hours: WhatsApp only delivers a template now."}) : "");
    var grew = parts.messages.children.length !== c.messages.length;
    parts.messages.replaceChildren.apply(parts.messages, c.messages.length ? c.messages.map(function (m) {
      return h("li", {class: "rc-message rc-" + m.origin, "data-message-id": m.id}, [h("p", {text: m.text}),
        h("div", {class: "rc-meta", text: m.sendBy + " · " + ctx.formatTime(m.createdAt) +
          (m.origin === "outbound" ? " · " + m.deliveryStatus : "")})]);
    }) : [h("li", {class: "rc-empty", text: "No messages yet."})]);
    // The newest message stays in sight when one arrives; reading older ones is not interrupted by polls.
    if (grew) parts.messages.scrollTop = parts.messages.scrollHeight;
    fillTemplates(ctx);
    // A poll must not throw away details being edited.
    if (!state.editing) parts.details.replaceChildren(s.showCandidateDetails && c.candidate ? details(ctx, c) : "");
  }

  function details(ctx, c) {
    var h = ctx.h;
    var s = ctx.settings();
    var assignee = c.users.filter(function (u) { return u.id === c.candidate.userId; })[0];
    return h("dl", {class: "rc-details", "aria-label": "Candidate"}, [
      h("dt", {text: "Name"}), h("dd", {text: c.candidate.name}),
      h("dt", {text: "Phone"}), h("dd", {text: c.candidate.phone ? "+" + c.candidate.phone : "—"}),
      h("dt", {text: "E-mail"}), h("dd", {text: c.candidate.email || "—"}),
      h("dt", {text: "Postal code"}), h("dd", {text: c.candidate.postalCode || "—"}),
      h("dt", {text: "Recruiter"}), h("dd", {}, s.showCandidateAssigneeEdit !== false ? h("select", {
        class: "rc-input", "aria-label": "Recruiter", onchange: function (event) {
          saveCandidate(ctx, c, {userId: event.target.value || null});
        }}, [h("option", {value: "", text: "— nobody —"})].concat(c.users.map(function (u) {
          return h("option", {value: u.id, text: u.fullName, selected: u.id === c.candidate.userId});
        }))) : (assignee ? assignee.fullName : "—")),
      s.showCandidateDetailsEdit ? h("dd", {}, h("button", {class: "rc-button rc-quiet", type: "button",
        text: "Edit details", onclick: function () { editDetails(ctx, c); }})) : null]);
  }

  function editDetails(ctx, c) {
    var h = ctx.h;
    state.editing = true;
    var field = function (name, label, type) {
      return h("div", {class: "rc-field"}, [h("label", {for: "rc-c-" + name, text: label}),
        h("input", {class: "rc-input", id: "rc-c-" + name, name: name, type: type || "text",
          value: c.candidate[name] || ""})]);
    };
    parts.details.replaceChildren(h("form", {class: "rc-pad", "aria-label": "Edit candidate", onsubmit: function (event) {
      event.preventDefault();
      var data = new FormData(event.target);
      var change = {};
      ["firstName", "lastName", "email", "postalCode"].forEach(function (name) { change[name] = data.get(name); });
      saveCandidate(ctx, c, change);
    }}, [h("div", {class: "rc-grid2"}, [field("firstName", "First name"), field("lastName", "Last name"),
      field("email", "E-mail", "email"), field("postalCode", "Postal code")]),
      h("div", {class: "rc-row"}, [h("button", {class: "rc-button", type: "submit", text: "Save"}),
        h("button", {class: "rc-button rc-quiet", type: "button", text: "Cancel", onclick: function () {
          state.editing = false;
          renderThread(ctx);
        }})])]));
  }

  function saveCandidate(ctx, c, change) {
    ctx.request("POST", "/inbox/candidates/" + encodeURIComponent(c.candidate.id), change).then(function () {
      state.editing = false;
      ctx.clearProblem();
      return loadConversation(ctx, c.id, false).then(function () { return refreshList(ctx); });
    }).catch(ctx.problem);
  }

  function fillTemplates(ctx) {
    var select = parts.templates;
    if (!select || !state.detail || select.options.length > 1) return;
    state.detail.templates.forEach(function (t) {
      select.appendChild(ctx.h("option", {value: t.id, text: t.name + " — " + (t.preview || "")}));
    });
  }

  function composer(ctx, id) {
    var h = ctx.h;
    var text = h("textarea", {class: "rc-input", name: "message", placeholder: "Write a message…",
      "aria-label": "Message", rows: 2});
    parts.templates = ctx.settings().showAddTemplateButton !== false ? h("select", {class: "rc-input",
      "aria-label": "Template"}, [h("option", {value: "", text: "Template…"})]) : null;
    var button = h("button", {class: "rc-button", type: "submit", text: "Send"});
    return h("form", {class: "rc-composer", onsubmit: function (event) {
      event.preventDefault();
      var body = parts.templates && parts.templates.value ? {templateId: parts.templates.value} : {text: text.value};
      if (!body.templateId && !text.value.trim()) return;
      button.disabled = true;
      ctx.request("POST", "/inbox/conversations/" + encodeURIComponent(id) + "/messages", body).then(function () {
        text.value = "";
        if (parts.templates) parts.templates.value = "";
        ctx.clearProblem();
        return loadConversation(ctx, id, false);
      }).catch(ctx.problem).then(function () { button.disabled = false; text.focus(); });
    }}, [text, parts.templates, button]);
  }

  function refreshList(ctx) {
    return ctx.request("GET", "/inbox/conversations").then(function (body) {
      state.conversations = body.conversations;
      renderList(ctx);
    });
  }

  function showConversation(ctx, id) {
    var known = state.conversations.filter(function (c) { return c.id === id; })[0];
    if (known && known.status !== state.tab) {
      state.tab = known.status;
      layout(ctx);
    }
    select(ctx, id);
  }

  RecruboComponent.define({
    defaults: {conversationId: null, showCandidateDetails: false, showCandidateDetailsEdit: false,
      showCandidateOpenExternal: false, showCandidateAssigneeEdit: true, showCandidateLabelsAdd: true,
      showCandidateNotesAdd: true, showConversationSearch: true, showConversationFilter: true, showSendMessage: true,
      showTopBar: true, showTabPanel: true, showTabOpen: true, showTabClosed: true, showPauseChatbot: false,
      showAddTemplateButton: true, showChatDisabledBanner: true, theme: {}},
    actions: {
      setConversation: function (ctx, id) {
        if (typeof id === "string" && id) showConversation(ctx, id);
      }
    },
    start: function (ctx) {
      state.current = ctx.settings().conversationId || null;
      refreshList(ctx).then(function () {
        if (state.current) showConversation(ctx, state.current);
      }).catch(ctx.problem);
      layout(ctx);
      ctx.every(POLL_MS, function () {
        refreshList(ctx).catch(ctx.problem);
        if (state.current) loadConversation(ctx, state.current, false);
      });
    },
    settingsChanged: function (ctx, change) {
      if (change.conversationId) state.current = change.conversationId;
      layout(ctx);
    },
    resume: function (ctx) {
      refreshList(ctx).catch(ctx.problem);
      if (state.current) loadConversation(ctx, state.current, false);
    }
  });
})();
