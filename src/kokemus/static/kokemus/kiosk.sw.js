// Kiosk service worker: keeps the kiosk page and its assets available offline.
// Served by Django at /kiosk/<token>/sw.js; the server fills in the asset URLs and version.
"use strict";
var VERSION = "__VERSION__";
var ASSETS = "__ASSETS__";
var SCOPE = self.registration.scope;
var PREFIX = "kokemus-kiosk:" + SCOPE + ":";
var CACHE = PREFIX + VERSION;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll([SCOPE].concat(ASSETS));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k.indexOf(PREFIX) === 0 && k !== CACHE;
    }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function pageRequest(url) {
  return url.origin === self.location.origin &&
    url.origin + url.pathname === SCOPE.replace(/\?.*$/, "");
}

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === "navigate" || pageRequest(url)) {
    if (!pageRequest(url)) return;
    // Network first, so that a removed kiosk or a changed survey shows at once.
    event.respondWith(fetch(req).then(function (resp) {
      if (resp.ok) {
        var copy = resp.clone();
        caches.open(CACHE).then(function (cache) { cache.put(SCOPE, copy); });
      } else if (resp.status === 404) {
        caches.delete(CACHE);
      }
      return resp;
    }).catch(function () {
      return caches.match(SCOPE, { cacheName: CACHE, ignoreSearch: true }).then(function (hit) {
        return hit || Response.error();
      });
    }));
    return;
  }
  if (ASSETS.indexOf(url.pathname) !== -1) {
    event.respondWith(caches.match(req, { cacheName: CACHE, ignoreSearch: true }).then(function (hit) {
      return hit || fetch(req);
    }));
  }
});
