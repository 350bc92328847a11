/* The Schedule table (§9.10, S43): the token user's appointments, upcoming first; a click selects one. */
(function () {
  "use strict";

  var POLL_MS = 5000;
  var selected = null;
  var body = null;

  function rows(ctx, items, past) {
    var h = ctx.h;
    return items.map(function (s) {
      return h("tr", {"data-schedule-id": s.id, "aria-selected": String(selected === s.id), tabindex: "0",
        class: past ? "rc-muted" : null, onclick: function () { choose(ctx, s.id); },
        onkeydown: function (event) { if (event.key === "Enter") choose(ctx, s.id); }}, [
        h("td", {text: ctx.formatTime(s.startsAt, {weekday: "short", day: "numeric", month: "short"})}),
        h("td", {text: ctx.formatTime(s.startsAt, {hour: "2-digit", minute: "2-digit"}) + "–" +
          ctx.formatTime(s.endsAt, {hour: "2-digit", minute: "2-digit"})}),
        h("td", {}, [h("strong", {text: s.title})]),
        h("td", {text: s.candidateName || "—"})]);
    });
  }

  function choose(ctx, id) {
    selected = id;
    ctx.emit("scheduleSelected", {scheduleId: id});
    refresh(ctx);
  }

  function refresh(ctx) {
    return ctx.request("GET", "/schedules").then(function (data) {
      var h = ctx.h;
      var all = rows(ctx, data.upcoming, false);
      if (data.past.length) {
        all.push(h("tr", {}, h("th", {colspan: "4", text: "Earlier"})));
        all = all.concat(rows(ctx, data.past.slice(0, 10), true));
      }
      body.replaceChildren.apply(body, all.length ? all :
        [h("tr", {}, h("td", {colspan: "4", class: "rc-empty", text: "No appointments yet."}))]);
    }).catch(ctx.problem);
  }

  RecruboComponent.define({
    defaults: {theme: {}},
    actions: {},
    start: function (ctx) {
      var h = ctx.h;
      body = h("tbody");
      ctx.view.replaceChildren(h("header", {class: "rc-bar"}, [h("h1", {text: "Appointments"}),
        h("span", {class: "rc-who", text: ctx.session().user.fullName + " · " + ctx.session().user.timeZone})]),
        h("table", {class: "rc-table"}, [h("thead", {}, h("tr", {}, ["Date", "Time", "What", "Candidate"].map(
          function (label) { return h("th", {scope: "col", text: label}); }))), body]));
      refresh(ctx);
      ctx.every(POLL_MS, function () { refresh(ctx); });
    },
    resume: refresh
  });
})();
