/* 效能投诉 public portal: the proof-of-work challenge (see complaints/challenge.py), unit search choice, and
   small form helpers. No build step, no third-party code; messages come translated from data attributes. */
(function () {
  "use strict";

  // --- SHA-256 over an ASCII string (the challenge and a decimal nonce), FIPS 180-4 ---------------------------
  var K = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ];
  var W = new Int32Array(64);

  function sha256Words(text) {
    var n = text.length, blocks = ((n + 8) >> 6) + 1, words = new Int32Array(blocks * 16), i;
    for (i = 0; i < n; i++) words[i >> 2] |= (text.charCodeAt(i) & 0xff) << (24 - (i % 4) * 8);
    words[n >> 2] |= 0x80 << (24 - (n % 4) * 8);
    words[blocks * 16 - 1] = n * 8;
    var h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a,
        h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
    for (var b = 0; b < blocks; b++) {
      for (i = 0; i < 16; i++) W[i] = words[b * 16 + i];
      for (i = 16; i < 64; i++) {
        var x = W[i - 15], y = W[i - 2];
        var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
      }
      var a = h0, bb = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
      for (i = 0; i < 64; i++) {
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var t2 = (S0 + ((a & bb) ^ (a & c) ^ (bb & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = bb; bb = a; a = (t1 + t2) | 0;
      }
      h0 = (h0 + a) | 0; h1 = (h1 + bb) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
      h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
    }
    return [h0, h1, h2, h3, h4, h5, h6, h7];
  }

  function leadingZeroBits(words) {
    var n = 0;
    for (var i = 0; i < words.length; i++) {
      if (words[i] === 0) { n += 32; continue; }
      return n + Math.clz32(words[i]);
    }
    return n;
  }

  // --- the challenge: solved in slices from page load, so the form is ready by the time it is filled ---------
  function startChallenge(form) {
    var input = form.querySelector("input[name=pow_challenge]");
    var out = form.querySelector("input[name=pow_nonce]");
    var status = document.getElementById("pow-status");
    if (!input || !out || !input.value) return;
    var challenge = input.value, want = parseInt(challenge.split(".")[2], 10), nonce = 0;
    var submitWhenDone = false;
    function step() {
      var until = Date.now() + 30;
      while (Date.now() < until) {
        for (var k = 0; k < 500; k++, nonce++) {
          if (leadingZeroBits(sha256Words(challenge + ":" + nonce)) >= want) {
            out.value = String(nonce);
            form.dataset.powDone = "1";
            if (status) status.textContent = form.dataset.msgReady || "";
            if (submitWhenDone) form.requestSubmit ? form.requestSubmit() : form.submit();
            return;
          }
        }
      }
      setTimeout(step, 0);
    }
    form.addEventListener("submit", function (ev) {
      if (form.dataset.powDone !== "1") {
        ev.preventDefault();
        submitWhenDone = true;
        if (status) status.textContent = form.dataset.msgChecking || "";
        return;
      }
      if (form.dataset.sent === "1") { ev.preventDefault(); return; }  // a double click: one request
      form.dataset.sent = "1";
      var button = form.querySelector("button[type=submit]");
      if (button) { button.setAttribute("aria-disabled", "true"); button.classList.add("disabled"); }
    });
    setTimeout(step, 0);
  }

  // --- unit search: a chosen result fills the hidden code and the visible name --------------------------------
  function chooseUnit(ev) {
    var btn = ev.target.closest("[data-unit-code]");
    if (!btn) return;
    ev.preventDefault();
    var form = btn.closest("form");
    form.querySelector("input[name=unit]").value = btn.dataset.unitCode;
    var query = form.querySelector("input[name=unit_query]");
    query.value = btn.dataset.unitName;
    var results = document.getElementById("unit-results");
    results.innerHTML = "";
    var chosen = document.getElementById("unit-chosen");
    if (chosen) chosen.textContent = (form.dataset.msgChosen || "") + btn.dataset.unitName;
    query.focus();
  }

  function unitTyped(ev) {
    if (ev.target.name !== "unit_query") return;
    var form = ev.target.closest("form");
    var hidden = form.querySelector("input[name=unit]");
    if (hidden) hidden.value = "";  // typing again un-chooses
    var chosen = document.getElementById("unit-chosen");
    if (chosen) chosen.textContent = "";
  }

  // --- named or anonymous: the name field only for a named complaint ------------------------------------------
  function syncAnonymous(form) {
    var anon = form.querySelector("input[name=anonymous]:checked");
    var group = document.getElementById("name-group");
    if (group && anon) group.hidden = anon.value === "1";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("complaint-form");
    if (!form) return;
    startChallenge(form);
    form.addEventListener("click", chooseUnit);
    form.addEventListener("input", unitTyped);
    form.addEventListener("change", function () { syncAnonymous(form); });
    syncAnonymous(form);
  });
})();
