// The finding form on a phone: when the network is gone, keep what was typed on the device and send it once the
// phone is back online (photos cannot be kept this way: the note asks to add them again). No build step.
(function () {
  "use strict";
  var form = document.getElementById("finding-form");
  if (!form) return;
  var key = form.getAttribute("data-queue-key");
  var note = document.getElementById("offline-note");

  function queue() {
    try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; }
  }
  function save(items) {
    if (items.length) localStorage.setItem(key, JSON.stringify(items)); else localStorage.removeItem(key);
    if (note) note.classList.toggle("d-none", !items.length);
  }
  function fields() {
    var out = {};
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken" && typeof value === "string") out[name] = value;
    });
    return out;
  }
  function send() {
    var items = queue();
    if (!items.length || !navigator.onLine) return;
    var token = form.querySelector("[name=csrfmiddlewaretoken]").value;
    var item = items[0];
    var body = new FormData();
    Object.keys(item).forEach(function (name) { body.append(name, item[name]); });
    body.append("csrfmiddlewaretoken", token);
    fetch(form.action || window.location.href, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (resp) {
        if (resp.ok || resp.redirected) { save(queue().slice(1)); send(); }
      })
      .catch(function () { /* still offline: try again on the next "online" */ });
  }
  form.addEventListener("submit", function (event) {
    if (navigator.onLine) return;
    event.preventDefault();
    var items = queue();
    items.push(fields());
    save(items);
    form.reset();
  });
  window.addEventListener("online", send);
  save(queue());
  send();
})();
