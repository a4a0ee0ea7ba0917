// Offline kiosk: answers are queued in IndexedDB and sent in batches to the sync URL.
// Every answer carries a client-made idempotency key, so a retry never stores it twice.
(function () {
  "use strict";
  var root = document.getElementById("kiosk");
  if (!root) return;
  var cfg = root.dataset;
  var MAX_BATCH = 200;
  var MAX_BATCH_BYTES = 200 * 1024;
  var defaultLang = cfg.defaultLang;
  var currentLang = defaultLang;
  var resetTimer = null;
  var syncing = null;
  var syncAgain = false;
  var removed = false;
  var batchLimit = MAX_BATCH;
  var api = window.kokemusKiosk = { sent: [], invalid: [] };

  // --- Storage: IndexedDB, or memory when it is not available ---------------------------
  var memory = {};
  var dbPromise = new Promise(function (resolve) {
    if (!window.indexedDB) { resolve(null); return; }
    var req;
    try { req = indexedDB.open("kokemus-kiosk-" + cfg.device, 1); } catch (e) { resolve(null); return; }
    req.onupgradeneeded = function () {
      req.result.createObjectStore("queue", { keyPath: "idempotency_key" });
    };
    req.onsuccess = function () { resolve(req.result); };
    req.onerror = function () { resolve(null); };
  });

  function tx(mode, fn) {
    return dbPromise.then(function (db) {
      if (!db) return fn(null);
      return new Promise(function (resolve, reject) {
        var t = db.transaction("queue", mode);
        var out = fn(t.objectStore("queue"));
        t.oncomplete = function () { resolve(out && out.result !== undefined ? out.result : out); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }
  function queuePut(item) {
    return tx("readwrite", function (store) {
      if (!store) { memory[item.idempotency_key] = item; return null; }
      store.put(item);
      return null;
    });
  }
  function queueAll() {
    return tx("readonly", function (store) {
      if (!store) return Object.keys(memory).map(function (k) { return memory[k]; });
      return store.getAll();
    }).then(function (items) {
      return (items || []).slice().sort(function (a, b) {
        return a.submitted_at < b.submitted_at ? -1 : a.submitted_at > b.submitted_at ? 1 : 0;
      });
    });
  }
  function queueDelete(keys) {
    return tx("readwrite", function (store) {
      keys.forEach(function (k) { if (store) store.delete(k); else delete memory[k]; });
      return null;
    });
  }
  api.queued = queueAll;

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // --- Status line ------------------------------------------------------------------------
  var statusEl = root.querySelector("[data-status]");
  function setStatus(text) { if (statusEl) statusEl.textContent = text; }
  function refreshStatus(offline) {
    return queueAll().then(function (items) {
      if (items.length) {
        setStatus((offline ? cfg.msgOffline + " · " : "") +
                  cfg.msgQueued.replace("%(count)s", String(items.length)));
      } else {
        setStatus(cfg.msgSynced);
      }
      root.dataset.queued = String(items.length);
    });
  }

  // --- Languages and views -----------------------------------------------------------------
  var blocks = root.querySelectorAll("[data-block]");
  var langButtons = root.querySelectorAll("[data-lang]");
  function block(lang) { return root.querySelector("[data-block='" + lang + "']"); }
  function showLanguage(lang) {
    currentLang = lang;
    Array.prototype.forEach.call(blocks, function (b) { b.hidden = b.dataset.block !== lang; });
    Array.prototype.forEach.call(langButtons, function (btn) {
      btn.setAttribute("aria-pressed", btn.dataset.lang === lang ? "true" : "false");
    });
    document.documentElement.lang = lang;
  }
  Array.prototype.forEach.call(langButtons, function (btn) {
    btn.addEventListener("click", function () { showLanguage(btn.dataset.lang); });
  });

  function resetAll() {
    if (resetTimer) { clearTimeout(resetTimer); resetTimer = null; }
    Array.prototype.forEach.call(blocks, function (b) {
      var form = b.querySelector("[data-form]");
      form.reset();
      form.hidden = false;
      b.querySelector("[data-thanks]").hidden = true;
      var err = b.querySelector("[data-error]");
      err.hidden = true; err.textContent = "";
      updateConditions(form);
    });
    root.classList.remove("kiosk--thanks");
    showLanguage(defaultLang);
  }

  // --- Conditional questions -----------------------------------------------------------------
  function checkedValues(form, name) {
    var out = [];
    Array.prototype.forEach.call(form.querySelectorAll("input[name='" + name + "']"), function (i) {
      if (i.checked) out.push(i.value);
    });
    return out;
  }
  function holds(form, box) {
    var got = checkedValues(form, box.dataset.showIf);
    if (!got.length) return false;
    var op = box.dataset.op, want = box.dataset.value;
    if (op === "lte") return Number(got[0]) <= Number(want);
    if (op === "gte") return Number(got[0]) >= Number(want);
    var allowed = want.split(",");
    return got.some(function (v) { return allowed.indexOf(v) !== -1; });
  }
  function updateConditions(form) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-show-if]"), function (box) {
      box.hidden = !holds(form, box);
    });
  }

  // --- Answering -------------------------------------------------------------------------------
  function collect(form, submitter) {
    var answers = {}, contact = "", missing = null;
    Array.prototype.forEach.call(form.querySelectorAll("[data-q]"), function (q) {
      if (q.hidden) return;
      var key = q.dataset.key, kind = q.dataset.kind, value = null;
      if (submitter && submitter.dataset.value !== undefined && q.contains(submitter)) {
        value = kind === "scale" ? Number(submitter.value) : submitter.value;
      } else if (kind === "text") {
        var t = q.querySelector("textarea").value.trim();
        if (t) value = t;
      } else if (kind === "multi") {
        var vals = checkedValues(form, q.querySelector("input").name);
        if (vals.length) value = vals;
      } else {
        var input = q.querySelector("input[type=radio]");
        var got = input ? checkedValues(form, input.name) : [];
        if (got.length) value = kind === "scale" ? Number(got[0]) : got[0];
        if (kind === "consent" && value === "yes") {
          var c = q.querySelector("[data-contact]");
          contact = c ? c.value.trim() : "";
          if (!contact && !missing) missing = c;
        }
      }
      if (value === null) {
        if (q.hasAttribute("data-required") && !missing) missing = q.querySelector("input, textarea, button");
        return;
      }
      answers[key] = value;
    });
    return { answers: answers, contact: contact, missing: missing };
  }

  function onSubmit(event) {
    event.preventDefault();
    var form = event.target;
    var got = collect(form, event.submitter);
    var err = form.querySelector("[data-error]");
    if (got.missing || !Object.keys(got.answers).length) {
      err.textContent = err.dataset.msgRequired;
      err.hidden = false;
      if (got.missing) got.missing.focus();
      return;
    }
    var item = { idempotency_key: uuid(), submitted_at: new Date().toISOString(),
                 language: currentLang, answers: got.answers };
    if (got.contact) item.contact = got.contact;
    queuePut(item).then(function () {
      showThanks(form);
      refreshStatus();
      sync();
    });
  }

  function showThanks(form) {
    var b = form.closest("[data-block]");
    var thanks = b.querySelector("[data-thanks]");
    form.hidden = true;
    thanks.hidden = false;
    root.classList.add("kiosk--thanks");
    var live = root.querySelector("[data-live]");
    if (live) live.textContent = thanks.textContent.trim();
    thanks.focus();
    resetTimer = setTimeout(resetAll, Number(cfg.resetSeconds || 6) * 1000);
  }

  Array.prototype.forEach.call(root.querySelectorAll("[data-form]"), function (form) {
    form.addEventListener("submit", onSubmit);
    form.addEventListener("change", function () { updateConditions(form); });
    updateConditions(form);
  });
  Array.prototype.forEach.call(root.querySelectorAll("[data-thanks]"), function (t) {
    t.addEventListener("click", resetAll);
  });

  // --- Sync ------------------------------------------------------------------------------------
  function showRemoved() {
    removed = true;
    var box = root.querySelector("[data-removed]");
    if (box) box.hidden = false;
    root.classList.add("kiosk--removed");
  }

  function byteLength(text) {
    return window.TextEncoder ? new TextEncoder().encode(text).length : text.length * 3;
  }

  function takeBatch(items) {
    var batch = [], bytes = 20;
    for (var i = 0; i < items.length && batch.length < batchLimit; i++) {
      var size = byteLength(JSON.stringify(items[i])) + 1;
      if (batch.length && bytes + size > MAX_BATCH_BYTES) break;
      batch.push(items[i]);
      bytes += size;
    }
    return batch;
  }

  function sendOnce() {
    return queueAll().then(function (items) {
      if (!items.length || removed) return false;
      var batch = takeBatch(items);
      return fetch(cfg.syncUrl, {
        method: "POST", credentials: "omit", cache: "no-store",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ responses: batch })
      }).then(function (resp) {
        if (resp.status === 404) { showRemoved(); return false; }
        if (resp.status === 410) { setStatus(cfg.msgClosed); return false; }
        if (resp.status === 413 || resp.status === 400) {
          if (batch.length > 1) { batchLimit = Math.max(1, Math.floor(batch.length / 2)); return true; }
          console.warn("kokemus kiosk: the server refused an answer", batch[0], resp.status);
          api.invalid.push(batch[0]);
          return queueDelete([batch[0].idempotency_key]).then(function () { return true; });
        }
        if (!resp.ok) return false;
        return resp.json().then(function (data) {
          var done = [];
          (data.results || []).forEach(function (r, i) {
            var sent = batch[i];
            if (!sent || (r.key !== null && r.key !== sent.idempotency_key)) return;
            if (r.status === "invalid") {
              console.warn("kokemus kiosk: invalid answer dropped", sent, r.errors);
              api.invalid.push({ item: sent, errors: r.errors });
            } else if (r.status === "created" || r.status === "duplicate") {
              api.sent.push(sent);
            } else {
              return;
            }
            done.push(sent.idempotency_key);
          });
          if (api.sent.length > 1000) api.sent.splice(0, api.sent.length - 1000);
          batchLimit = MAX_BATCH;
          return queueDelete(done).then(function () { return done.length > 0; });
        });
      });
    });
  }

  function sync() {
    if (syncing) { syncAgain = true; return syncing; }
    syncing = (function loop() {
      syncAgain = false;
      return sendOnce().then(function (more) {
        if (more || syncAgain) return loop();
        return null;
      });
    })().then(function () {
      syncing = null;
      return refreshStatus();
    }, function () {
      syncing = null;
      return refreshStatus(true);
    });
    return syncing;
  }
  api.sync = sync;

  window.addEventListener("online", sync);
  window.addEventListener("offline", function () { refreshStatus(true); });
  setInterval(sync, Number(cfg.syncSeconds || 30) * 1000);

  // --- Service worker --------------------------------------------------------------------------
  if ("serviceWorker" in navigator && cfg.swUrl) {
    navigator.serviceWorker.register(cfg.swUrl, { scope: cfg.scope }).catch(function (e) {
      console.warn("kokemus kiosk: service worker not registered", e);
    });
  }

  resetAll();
  refreshStatus();
  sync();
})();
