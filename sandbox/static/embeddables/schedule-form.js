/* The Schedule form (§9.9, S42): create, edit or delete one appointment, in the user's time zone. */
(function () {
  "use strict";

  var candidates = [];

  // The wall-clock parts of an instant in a time zone, as "YYYY-MM-DDTHH:MM" (a datetime-local value).
  function wallClock(date, zone) {
    var parts = {};
    new Intl.DateTimeFormat("en-CA", {timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
      minute: "2-digit", hourCycle: "h23"}).formatToParts(date).forEach(function (p) { parts[p.type] = p.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + "T" + parts.hour + ":" + parts.minute;
  }

  // The instant at which the clocks of `zone` show `value` (a datetime-local string).
  function instant(value, zone) {
    var guess = Date.parse(value + ":00Z");
    var shown = Date.parse(wallClock(new Date(guess), zone) + ":00Z");
    return new Date(guess - (shown - guess)).toISOString();
  }

  function render(ctx, schedule) {
    var h = ctx.h;
    var zone = ctx.session().user.timeZone;
    var start = schedule ? new Date(schedule.startsAt) : new Date(Math.ceil(Date.now() / 3600000 + 24) * 3600000);
    var end = schedule ? new Date(schedule.endsAt) : new Date(start.getTime() + 30 * 60000);
    var save = h("button", {class: "rc-button", type: "submit", text: schedule ? "Save changes" : "Schedule"});
    var form = h("form", {class: "rc-pad", onsubmit: function (event) {
      event.preventDefault();
      var data = new FormData(form);
      var body = {title: data.get("title"), candidateId: data.get("candidateId") || null,
        startsAt: instant(data.get("startsAt"), zone), endsAt: instant(data.get("endsAt"), zone)};
      save.disabled = true;
      var path = schedule ? "/schedules/" + encodeURIComponent(schedule.id) : "/schedules";
      ctx.request("POST", path, body).then(function (reply) {
        ctx.clearProblem();
        ctx.emit(schedule ? "scheduleUpdated" : "scheduleCreated", {scheduleId: reply.schedule.id});
        render(ctx, reply.schedule);
        say(ctx, schedule ? "Saved." : "Scheduled.");
      }).catch(function (error) { save.disabled = false; ctx.problem(error); });
    }}, [
      h("div", {class: "rc-field"}, [h("label", {for: "rc-s-title", text: "What"}),
        h("input", {class: "rc-input", id: "rc-s-title", name: "title", required: true, maxlength: 120,
          placeholder: "Intake call", value: schedule ? schedule.title : ""})]),
      h("div", {class: "rc-field"}, [h("label", {for: "rc-s-candidate", text: "Candidate"}),
        h("select", {class: "rc-input", id: "rc-s-candidate", name: "candidateId"},
          [h("option", {value: "", text: "— no candidate —"})].concat(candidates.map(function (c) {
            return h("option", {value: c.id, text: c.name, selected: Boolean(schedule && schedule.candidateId === c.id)});
          })))]),
      h("div", {class: "rc-grid2"}, [
        h("div", {class: "rc-field"}, [h("label", {for: "rc-s-start", text: "Starts"}),
          h("input", {class: "rc-input", id: "rc-s-start", name: "startsAt", type: "datetime-local", required: true,
            value: wallClock(start, zone)})]),
        h("div", {class: "rc-field"}, [h("label", {for: "rc-s-end", text: "Ends"}),
          h("input", {class: "rc-input", id: "rc-s-end", name: "endsAt", type: "datetime-local", required: true,
            value: wallClock(end, zone)})])]),
      h("p", {class: "rc-small rc-muted", text: "Times in " + zone + "."}),
      h("div", {class: "rc-row"}, [save, schedule ? h("button", {class: "rc-button rc-danger", type: "button",
        text: "Delete", onclick: function () {
          ctx.request("DELETE", "/schedules/" + encodeURIComponent(schedule.id)).then(function () {
            ctx.emit("scheduleDeleted", {scheduleId: schedule.id});
            render(ctx, null);
            say(ctx, "Deleted.");
          }).catch(ctx.problem);
        }}) : null, schedule ? h("button", {class: "rc-button rc-quiet", type: "button", text: "New appointment",
        onclick: function () { render(ctx, null); }}) : null])]);
    ctx.view.replaceChildren(h("header", {class: "rc-bar"}, [h("h1", {text: schedule ? "Edit appointment" : "New appointment"}),
      h("span", {class: "rc-who", text: ctx.session().user.fullName})]), form);
  }

  // A confirmation above the freshly rendered form.
  function say(ctx, text) {
    ctx.view.querySelector("form").prepend(ctx.h("p", {class: "rc-badge rc-good", role: "status",
      "data-schedule-status": "", text: text}));
  }

  function load(ctx, id) {
    if (!id) return render(ctx, null);
    ctx.request("GET", "/schedules/" + encodeURIComponent(id)).then(function (body) { render(ctx, body.schedule); })
      .catch(function (error) { render(ctx, null); ctx.problem(error); });
  }

  RecruboComponent.define({
    defaults: {scheduleId: null, theme: {}},
    actions: {},
    start: function (ctx) {
      ctx.request("GET", "/candidates").then(function (body) {
        candidates = body.candidates;
        load(ctx, ctx.settings().scheduleId);
      }).catch(ctx.problem);
    },
    settingsChanged: function (ctx, change) {
      if ("scheduleId" in change) load(ctx, change.scheduleId);
    }
  });
})();
