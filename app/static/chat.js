/*
 * Loader for pages that embed the chat with a classic <script src="https://qa.example/static/chat.js">: the chat
 * itself is the ES module chat/main.js beside this file (a page of ours loads it with <script type="module">).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var url = new URL("chat/main.js", script && script.src ? script.src : window.location.href).href;
  import(url).catch(function (error) {
    if (window.console) window.console.warn("border-qa chat: could not load " + url + ": " + error);
  });
})();
