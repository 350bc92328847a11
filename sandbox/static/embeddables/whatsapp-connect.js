/* The WhatsApp connect button (§9.8, S41): a fake Meta embedded sign-up; it changes nothing in the API. */
(function () {
  "use strict";

  var connected = null;

  function button(ctx) {
    var h = ctx.h;
    ctx.view.replaceChildren(h("div", {class: "rc-wa"}, [
      h("span", {class: "rc-wa-logo", "aria-hidden": "true", text: "WA"}),
      h("div", {}, connected ? [h("strong", {text: connected.displayName}),
        h("div", {class: "rc-small rc-muted", text: "Connected: +" + connected.phoneNumber})] : [
        h("strong", {text: "WhatsApp Business"}),
        h("div", {class: "rc-small rc-muted", text: "Connect a number so candidates can chat with your bot."})]),
      h("button", {class: "rc-button", type: "button", text: connected ? "Connect another number" : "Connect WhatsApp",
        onclick: function () { signUp(ctx); }})]));
  }

  function signUp(ctx) {
    var h = ctx.h;
    var session = ctx.session();
    ctx.view.replaceChildren(h("form", {class: "rc-meta-dialog", "aria-label": "Meta sign-up", onsubmit: function (event) {
      event.preventDefault();
      var data = new FormData(event.target);
      connected = {phoneNumber: String(data.get("phone")).replace(/\D/g, ""), displayName: String(data.get("name")).trim()};
      ctx.emit("whatsappConnected", connected);
      button(ctx);
    }}, [
      h("header", {text: "Meta · Connect WhatsApp to Recrubo (sandbox)"}),
      h("div", {class: "rc-pad"}, [
        h("p", {class: "rc-small rc-muted", text: "Signed in to Meta as " + session.user.fullName +
          ". Nothing is sent to Meta: this sandbox only pretends."}),
        h("div", {class: "rc-field"}, [h("label", {for: "rc-wa-name", text: "Display name"}),
          h("input", {class: "rc-input", id: "rc-wa-name", name: "name", required: true,
            value: session.organization.name + " Jobs"})]),
        h("div", {class: "rc-field"}, [h("label", {for: "rc-wa-phone", text: "Phone number"}),
          h("input", {class: "rc-input", id: "rc-wa-phone", name: "phone", required: true, pattern: "\\+?[0-9 ]{8,18}",
            value: "+31 20 555 0142"})]),
        h("div", {class: "rc-row"}, [h("button", {class: "rc-button", type: "submit", text: "Finish"}),
          h("button", {class: "rc-button rc-quiet", type: "button", text: "Cancel", onclick: function () {
            ctx.emit("whatsappConnectCancelled", {});
            button(ctx);
          }})])])]));
  }

  RecruboComponent.define({
    defaults: {theme: {}},
    actions: {},
    start: button
  });
})();
