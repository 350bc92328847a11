/* The GenerateFlow component (§9.7, S40): a wizard that generates a flow from a vacancy and watches it. */
(function () {
  "use strict";

  var WATCH_MS = 1000;
  var STAGES = ["queued", "processing", "finished"];
  var parts = {};
  var vacancies = [];

  function form(ctx) {
    var h = ctx.h;
    var vacancyId = ctx.settings().vacancyId;
    var vacancy = vacancies.filter(function (v) { return v.id === vacancyId; })[0];
    var fields = vacancyId ? [h("p", {}, ["Vacancy: ", h("strong", {text: vacancy ? vacancy.title : vacancyId})])] : [
      h("div", {class: "rc-field"}, [h("label", {for: "rc-title", text: "Vacancy title"}),
        h("input", {class: "rc-input", id: "rc-title", name: "title", required: true, placeholder: "Warehouse operator"})]),
      h("div", {class: "rc-field"}, [h("label", {for: "rc-text", text: "Vacancy text"}),
        h("textarea", {class: "rc-input", id: "rc-text", name: "text", rows: 5, required: true,
          placeholder: "Paste the vacancy: the job, the hours, what the candidate needs…"})])];
    var submit = h("button", {class: "rc-button", type: "submit", text: "Generate flow"});
    return h("form", {class: "rc-pad", onsubmit: function (event) {
      event.preventDefault();
      var data = new FormData(event.target);
      var body = {knockout: data.get("knockout"), preferred: data.get("preferred")};
      if (vacancyId) body.vacancyId = vacancyId;
      else { body.title = data.get("title"); body.text = data.get("text"); }
      submit.disabled = true;
      ctx.request("POST", "/generations", body).then(function (reply) {
        ctx.clearProblem();
        ctx.emit("flowGenerationCreated", {flowGenerationId: reply.generation.id});
        watch(ctx, reply.generation);
      }).catch(function (error) { submit.disabled = false; ctx.problem(error); });
    }}, fields.concat([
      h("div", {class: "rc-grid2"}, [
        h("div", {class: "rc-field"}, [h("label", {for: "rc-knockout", text: "Must have (one per line)"}),
          h("textarea", {class: "rc-input", id: "rc-knockout", name: "knockout", rows: 3,
            placeholder: "Work permit for the Netherlands"})]),
        h("div", {class: "rc-field"}, [h("label", {for: "rc-preferred", text: "Nice to have (one per line)"}),
          h("textarea", {class: "rc-input", id: "rc-preferred", name: "preferred", rows: 3,
            placeholder: "Forklift certificate"})])]),
      h("div", {class: "rc-row"}, [submit, h("span", {class: "rc-small rc-muted",
        text: "The flow asks for name and e-mail, checks each must-have, and asks about the nice-to-haves."})])]));
  }

  function progress(ctx, generation) {
    var h = ctx.h;
    var at = STAGES.indexOf(generation.status);
    var failed = generation.status === "exception";
    return h("section", {class: "rc-pad", "data-generation-id": generation.id, "aria-live": "polite"}, [
      h("ol", {class: "rc-steps"}, STAGES.map(function (stage, index) {
        return h("li", {class: index < at || generation.status === "finished" ? "rc-done" : index === at ? "rc-now" : "",
          text: stage});
      })),
      h("div", {class: "rc-progress"}, h("span", {style: null, "data-width": String(failed ? 100 : (at + 1) * 33)})),
      failed ? h("p", {class: "rc-notice", text: "The generation failed: " + generation.error}) :
      generation.status === "finished" ? h("p", {"data-generated-flow": generation.flowId}, [
        h("span", {class: "rc-badge rc-good", text: "done"}), " Flow ", h("strong", {text: generation.flowName}),
        " is ready and published."]) :
      h("p", {class: "rc-muted", text: "Writing the flow… this takes a few seconds."}),
      generation.status === "finished" || failed ? h("button", {class: "rc-button rc-quiet", type: "button",
        text: "Generate another", onclick: function () { reset(ctx); }}) : null]);
  }

  function paint(ctx, node) {
    // Widths go through the CSSOM: the page's CSP allows no inline style attributes.
    node.querySelectorAll("[data-width]").forEach(function (bar) { bar.style.width = bar.dataset.width + "%"; });
    parts.body.replaceChildren(node);
  }

  function watch(ctx, generation) {
    paint(ctx, progress(ctx, generation));
    if (generation.status === "finished") {
      ctx.emit("flowGenerated", {flowGenerationId: generation.id, flowId: generation.flowId});
      return;
    }
    if (generation.status === "exception") {
      ctx.emit("error", {code: "generation_failed", message: generation.error});
      return;
    }
    setTimeout(function () {
      ctx.request("GET", "/generations/" + encodeURIComponent(generation.id)).then(function (body) {
        watch(ctx, body.generation);
      }).catch(ctx.problem);
    }, WATCH_MS);
  }

  function reset(ctx) {
    paint(ctx, form(ctx));
  }

  RecruboComponent.define({
    defaults: {vacancyId: null, theme: {}},
    actions: {},
    start: function (ctx) {
      parts.body = ctx.h("div");
      ctx.view.replaceChildren(ctx.h("header", {class: "rc-bar"}, [ctx.h("h1", {text: "Generate a flow"}),
        ctx.h("span", {class: "rc-who", text: "vacancy application flow"})]), parts.body);
      ctx.request("GET", "/vacancies").then(function (body) { vacancies = body.vacancies; reset(ctx); })
        .catch(ctx.problem);
    },
    settingsChanged: function (ctx, change) {
      if ("vacancyId" in change) reset(ctx);
    }
  });
})();
