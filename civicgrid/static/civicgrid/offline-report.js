/* civicgrid: a report made without signal is kept on the phone and sent later, exactly once.
 *
 * On submit the form (text fields + photos as Blobs) goes into IndexedDB with a
 * client-generated Idempotency-Key, then the queue is flushed: each entry is POSTed
 * (multipart, session cookie + CSRF header, Idempotency-Key header) and removed only after a
 * 2xx JSON answer. Network failures keep it queued; the queue is retried on page load, on the
 * `online` event and every 30 s. The server answers a repeated key with the same case, so a
 * retry after a lost answer never makes a second case. Also: the GPS button.
 */
(function () {
  "use strict";
  var form = document.querySelector("form[data-offline-report]");
  if (!form) return;
  var DB_NAME = "civicgrid-offline", STORE = "reports";
  var msg = {};
  try { msg = JSON.parse(document.getElementById("offline-messages").textContent); } catch (e) { msg = {}; }
  var box = document.querySelector("[data-testid=offline-queue]");
  var countEl = box && box.querySelector("[data-queue-count]");
  var statusEl = box && box.querySelector("[data-queue-status]");
  var listEl = box && box.querySelector("[data-queue-list]");
  var sentEl = document.querySelector("[data-testid=sent]");
  var flushing = false;

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // plain-http intranets are not a secure context: build a v4 UUID from getRandomValues
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "key" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode), store = t.objectStore(STORE), out;
        out = fn(store);
        t.oncomplete = function () { db.close(); resolve(out && "result" in out ? out.result : undefined); };
        t.onerror = function () { db.close(); reject(t.error); };
      });
    });
  }

  var all = function () { return tx("readonly", function (s) { return s.getAll(); }); };
  var put = function (rec) { return tx("readwrite", function (s) { s.put(rec); }); };
  var remove = function (key) { return tx("readwrite", function (s) { s["delete"](key); }); };

  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function setStatus(text) { if (statusEl) statusEl.textContent = text || ""; }

  function render() {
    return all().then(function (rows) {
      rows.sort(function (a, b) { return a.created - b.created; });
      if (!box) return rows;
      box.hidden = rows.length === 0;
      countEl.textContent = String(rows.length);
      listEl.textContent = "";
      rows.forEach(function (rec) {
        var li = document.createElement("li");
        li.dataset.key = rec.key;
        li.textContent = (rec.title || "") + " · " + new Date(rec.created).toLocaleString();
        if (rec.error) {
          var err = document.createElement("span");
          err.className = "error";
          err.textContent = " " + (msg.rejected || "") + rec.error + " ";
          li.appendChild(err);
          var del = document.createElement("button");
          del.type = "button"; del.className = "link-dark"; del.textContent = msg.remove || "×";
          del.addEventListener("click", function () { remove(rec.key).then(render); });
          li.appendChild(del);
        }
        listEl.appendChild(li);
      });
      return rows;
    });
  }

  function showSent(data) {
    if (!sentEl) return;
    sentEl.hidden = false;
    sentEl.textContent = (msg.sent || "") + " " + data.code + " ";
    var a = document.createElement("a");
    a.href = data.url || form.dataset.detail.replace(/\/0\/$/, "/" + data.id + "/");
    a.textContent = msg.view || "→";
    a.dataset.testid = "sent-link";
    a.setAttribute("data-testid", "sent-link");
    sentEl.appendChild(a);
  }

  function send(rec) {
    var body = new FormData();
    rec.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    rec.photos.forEach(function (p) { body.append("photos", p.blob, p.name); });
    return fetch(rec.api, {
      method: "POST", body: body, credentials: "same-origin", redirect: "manual",
      headers: { "Idempotency-Key": rec.key, "X-CSRFToken": csrfToken(), "Accept": "application/json" }
    }).then(function (resp) {
      var json = (resp.headers.get("Content-Type") || "").indexOf("application/json") >= 0;
      if (resp.ok && json) {
        return resp.json().then(function (data) {
          return remove(rec.key).then(function () { showSent(data); return "sent"; });
        });
      }
      if (resp.type === "opaqueredirect" || resp.status === 401 || resp.status === 403) {
        setStatus(msg.login); return "wait";  // the session ran out: keep it for after login
      }
      if (resp.status >= 400 && resp.status < 500 && json && resp.status !== 408 && resp.status !== 429) {
        return resp.json().then(function (data) {  // refused as it stands: keep it, show why
          rec.error = data.message || String(resp.status);
          return put(rec).then(function () { return "refused"; });
        });
      }
      return "wait";  // 5xx, proxies, captive portals: try again later
    }, function () { setStatus(msg.offline); return "offline"; });
  }

  function flush() {
    if (flushing) return Promise.resolve();
    flushing = true;
    return all().then(function (rows) {
      rows = rows.filter(function (r) { return !r.error; }).sort(function (a, b) { return a.created - b.created; });
      if (rows.length) setStatus(msg.sending);
      var chain = Promise.resolve("start");
      rows.forEach(function (rec) {
        chain = chain.then(function (last) { return last === "offline" ? last : send(rec); });
      });
      return chain.then(function (last) { if (last === "sent" || last === "refused") setStatus(""); });
    }).catch(function () { /* IndexedDB unavailable: nothing queued */ })
      .then(function () { flushing = false; return render(); });
  }

  form.addEventListener("submit", function (event) {
    if (!window.indexedDB || !window.fetch) return;  // old browser: plain form post
    event.preventDefault();
    var data = new FormData(form), fields = [], photos = [];
    var onSpot = data.get("on_the_spot");
    data.forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken" || name === "idempotency_key") return;
      if (name === "on_the_spot_result" && !onSpot) return;  // 即报即办 only when ticked
      if (typeof value === "string") { if (value !== "") fields.push([name, value]); }
      else if (value && value.size) photos.push({ name: value.name, type: value.type, blob: value });
    });
    var rec = { key: uuid(), api: form.dataset.api, fields: fields, photos: photos,
                title: String(data.get("title") || ""), created: Date.now(), error: "" };
    put(rec).then(function () {
      form.reset();
      if (sentEl) sentEl.hidden = true;
      setStatus(msg.queued);
      return render();
    }).then(flush).catch(function () { form.submit(); });
  });

  var gps = form.querySelector("[data-gps]");
  if (gps && navigator.geolocation) {
    gps.addEventListener("click", function () {
      var out = form.querySelector("[data-gps-status]");
      out.textContent = msg.locating || "";
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.elements.lat.value = pos.coords.latitude.toFixed(6);
        form.elements.lng.value = pos.coords.longitude.toFixed(6);
        form.elements.crs.value = "wgs84";
        out.textContent = (msg.located || "") + " " + form.elements.lat.value + ", " +
          form.elements.lng.value + " (±" + Math.round(pos.coords.accuracy) + " m)";
      }, function () { out.textContent = msg.no_gps || ""; },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  window.addEventListener("online", flush);
  setInterval(function () { if (navigator.onLine) flush(); }, 30000);
  flush();
})();
