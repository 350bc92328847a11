/* The BotStudio component (§9.6, S39): a flow's steps, editable texts, and a chat preview. */
(function () {
  "use strict";

  var state = {flows: [], flow: null, selected: null};
  var parts = {};

  function layout(ctx) {
    var h = ctx.h;
    var s = ctx.settings();
    parts.flows = h("ul", {class: "rc-flows", "aria-label": "Flows"});
    parts.canvas = h("section", {class: "rc-canvas", "aria-label": "Steps"});
    parts.preview = s.showPreview !== false ? h("aside", {class: "rc-preview-pane"}) : null;
    ctx.fill(ctx.view, [
      h("header", {class: "rc-bar"}, [h("h1", {text: "BotStudio"}),
        s.readOnlyMode ? h("span", {class: "rc-badge", text: "read only"}) : null,
        h("span", {class: "rc-who", text: ctx.session().organization.name})]),
      h("div", {class: "rc-studio" + (parts.preview ? " rc-with-preview" : "")}, [parts.flows, parts.canvas, parts.preview])]);
    renderFlows(ctx);
    renderFlow(ctx);
  }

  function renderFlows(ctx) {
    var h = ctx.h;
    parts.flows.replaceChildren.apply(parts.flows, state.flows.map(function (flow) {
      return h("li", {}, h("button", {type: "button", "data-flow-id": flow.id,
        "aria-current": String(Boolean(state.flow && state.flow.id === flow.id)),
        onclick: function () { openFlow(ctx, flow.id, true); }}, [flow.name, " ",
        h("span", {class: "rc-badge", text: flow.steps + " steps"})]));
    }));
  }

  function openFlow(ctx, id, announce) {
    return ctx.request("GET", "/flows/" + encodeURIComponent(id)).then(function (body) {
      state.flow = body.flow;
      state.selected = null;
      renderFlows(ctx);
      renderFlow(ctx);
      if (announce) ctx.emit("flowSelected", {flowId: id});
    }).catch(function (error) {
      if (error.code !== "not_found") return ctx.problem(error);
      state.flow = null;
      parts.canvas.replaceChildren(ctx.h("div", {class: "rc-empty", text: "This flow does not exist (any more)."}));
    });
  }

  function actionBlock(ctx, action) {
    var h = ctx.h;
    var label = action.actionType === "ask" ? "Asks" : "Says";
    var text = h("span", {class: "rc-action-text", text: action.text || "(" + action.subType + ")"});
    var edit = !ctx.settings().readOnlyMode && action.subType !== "set-variable" ? h("button", {
      class: "rc-button rc-quiet rc-small", type: "button", text: "Edit",
      onclick: function (event) { event.stopPropagation(); editAction(ctx, action, block); }}) : null;
    var block = h("div", {class: "rc-action", "data-action-id": action.id}, [edit, h("span", {class: "rc-label", text: label}),
      text, " ", action.variableName ? h("span", {class: "rc-badge", text: "→ " + action.variableName}) : null]);
    return block;
  }

  function editAction(ctx, action, block) {
    var h = ctx.h;
    var input = h("textarea", {class: "rc-input", "aria-label": "Step text", value: action.text});
    var save = h("button", {class: "rc-button", type: "submit", text: "Save"});
    block.replaceChildren(h("form", {onsubmit: function (event) {
      event.preventDefault();
      save.disabled = true;
      ctx.request("POST", "/node-actions/" + encodeURIComponent(action.id), {text: input.value}).then(function (body) {
        ctx.emit("flowChanged", {flowId: body.flowId});
        return openFlow(ctx, body.flowId, false);
      }).catch(function (error) { save.disabled = false; ctx.problem(error); });
    }}, [input, h("div", {class: "rc-row"}, [save, h("button", {class: "rc-button rc-quiet", type: "button", text: "Cancel",
      onclick: function () { renderFlow(ctx); }})])]));
    input.focus();
  }

  function renderFlow(ctx) {
    var h = ctx.h;
    var flow = state.flow;
    if (!flow) {
      parts.canvas.replaceChildren(h("div", {class: "rc-empty", text: "Choose a flow to edit."}));
      if (parts.preview) parts.preview.replaceChildren();
      return;
    }
    parts.canvas.replaceChildren.apply(parts.canvas, [h("div", {class: "rc-row"}, [h("strong", {text: flow.name}),
      flow.generated ? h("span", {class: "rc-badge rc-good", text: "generated"}) : null,
      flow.unpublishedChanges ? h("span", {class: "rc-badge rc-bad", text: "unpublished changes"}) : null])]
      .concat(flow.steps.map(function (step) {
        return h("article", {class: "rc-step", "data-step-id": step.id, "aria-selected": String(state.selected === step.id),
          onclick: function (event) { if (!event.target.closest("form, button")) selectStep(step.id); }}, [
          h("h3", {}, [step.name, step.isStartFlow ? h("span", {class: "rc-badge rc-strong", text: "start"}) : null,
            step.isEndFlow ? h("span", {class: "rc-badge " + (step.endFlowType === "declined" ? "rc-bad" : "rc-good"),
              text: "end: " + step.endFlowType}) : null])]
          .concat(step.actions.map(function (action) { return actionBlock(ctx, action); }))
          .concat([step.links.length ? h("ul", {class: "rc-links"}, step.links.map(function (link) {
            return h("li", {text: "→ " + link.exitNodeName + (link.condition ? "  if " + link.condition : "")});
          })) : null]));
      })));
    renderPreview(ctx);
  }

  // Selecting only moves the highlight: re-rendering would throw away an edit in progress.
  function selectStep(id) {
    state.selected = id;
    parts.canvas.querySelectorAll("[data-step-id]").forEach(function (step) {
      step.setAttribute("aria-selected", String(step.dataset.stepId === id));
    });
  }

  // The chat emulator: the bot's lines along the happy path, as a candidate would see them.
  function renderPreview(ctx) {
    if (!parts.preview) return;
    var h = ctx.h;
    var byId = {};
    state.flow.steps.forEach(function (step) { byId[step.id] = step; });
    var step = state.flow.steps.filter(function (s) { return s.isStartFlow; })[0];
    var lines = [];
    var seen = {};
    while (step && !seen[step.id] && lines.length < 14) {
      seen[step.id] = true;
      step.actions.forEach(function (action) {
        if (action.text) lines.push(h("li", {class: "rc-message rc-outbound"}, h("p", {text: action.text})));
        if (action.actionType === "ask") lines.push(h("li", {class: "rc-message rc-inbound"}, h("p", {class: "rc-muted",
          text: (action.options && action.options[0]) || "…"})));
      });
      // The happy path: the first link without a condition, else the first link.
      var next = step.links.filter(function (link) { return !link.condition; })[0] || step.links[0];
      step = next ? byId[next.exitNodeId] : null;
    }
    parts.preview.replaceChildren(h("h2", {text: "Preview"}), h("ol", {class: "rc-messages"}, lines));
  }

  RecruboComponent.define({
    defaults: {activeFlowId: null, readOnlyMode: false, showPreview: true,
      theme: {builderStepBackground: "#D6E6F5", builderStepSelectedBorder: "#0267c1"}},
    actions: {
      setFlow: function (ctx, id) { if (typeof id === "string" && id) openFlow(ctx, id, true); }
    },
    start: function (ctx) {
      layout(ctx);
      ctx.request("GET", "/flows").then(function (body) {
        state.flows = body.flows;
        renderFlows(ctx);
        var active = ctx.settings().activeFlowId || (state.flows[0] && state.flows[0].id);
        if (active) openFlow(ctx, active, false);
      }).catch(ctx.problem);
    },
    settingsChanged: function (ctx, change) {
      layout(ctx);
      if (change.activeFlowId) openFlow(ctx, change.activeFlowId, false);
    }
  });
})();
