/* 使用手册: search when the pages are opened from file:// (no server).
 * Browsers refuse to start a Web Worker from file://, and the search runs in one. Here the worker
 * script runs in a hidden iframe instead, with the same messages. Over http (/help, `zhuanbao docs`)
 * nothing is changed. Written for zhuanbao in place of the iframe-worker shim the offline plugin
 * would load from a CDN. The lunr language files the worker would import are loaded up front. */
(function () {
  "use strict";
  if (location.protocol !== "file:") return;

  function load(frame, url) {
    return new Promise(function (resolve, reject) {
      var script = frame.document.createElement("script");
      script.src = url;
      script.onload = resolve;
      script.onerror = reject;
      frame.document.head.appendChild(script);
    });
  }

  function FrameWorker(url) {
    var target = document.createDocumentFragment();  // an EventTarget for the page's listeners
    var self = this, queue = [], ready = false;
    this.onmessage = null;
    this.addEventListener = target.addEventListener.bind(target);
    this.removeEventListener = target.removeEventListener.bind(target);
    var iframe = document.createElement("iframe");
    iframe.hidden = true;
    document.documentElement.appendChild(iframe);
    var frame = iframe.contentWindow;
    var deliver = function (data) {
      var event = new MessageEvent("message", { data: data });
      target.dispatchEvent(event);
      if (typeof self.onmessage === "function") self.onmessage(event);
    };
    frame.postMessage = function (data) { setTimeout(function () { deliver(data); }, 0); };
    frame.importScripts = function () {};  // the language files are loaded below, before any message
    this.postMessage = function (data) {
      if (!ready) { queue.push(data); return; }
      setTimeout(function () { frame.dispatchEvent(new frame.MessageEvent("message", { data: data })); }, 0);
    };
    this.terminate = function () { iframe.remove(); };
    var worker = new URL(url, location.href);
    var lunr = new URL("../lunr/min/", worker);
    load(frame, worker.href)
      .then(function () { return load(frame, new URL("lunr.stemmer.support.min.js", lunr).href); })
      .then(function () { return load(frame, new URL("lunr.zh.min.js", lunr).href); })
      .then(function () { return load(frame, new URL("lunr.multi.min.js", lunr).href); })
      .catch(function () {})
      .then(function () { ready = true; queue.splice(0).forEach(self.postMessage); });
  }

  window.Worker = FrameWorker;
})();
