// The idle lock (DOMAIN.md section 13, "lock idle devices"): after the minutes of
// this script's data-idle-minutes without a key, click, touch, scroll or mouse move, the
// session is closed (POST /logout with the page's CSRF token) and the browser goes
// to the login page, which says the session was locked.  The server ends an unused
// session after the same time on its own (CLIENTFOLIO_SESSION_IDLE_MINUTES).
(function () {
  "use strict";
  var script = document.currentScript;
  var minutes = Number(script && script.getAttribute("data-idle-minutes"));
  if (!(minutes > 0)) {
    return;
  }
  var timer = null;
  function lock() {
    var here = window.location.pathname + window.location.search;
    var target = "/login?locked=1&next=" + encodeURIComponent(here);
    var form = document.querySelector('form[action="/logout"]');
    if (!form || !window.fetch) {
      window.location.assign(target);
      return;
    }
    window
      .fetch("/logout", { method: "POST", body: new FormData(form), credentials: "same-origin", redirect: "manual" })
      .catch(function () {})
      .then(function () {
        window.location.assign(target);
      });
  }
  function restart() {
    window.clearTimeout(timer);
    timer = window.setTimeout(lock, minutes * 60 * 1000);
  }
  ["keydown", "click", "touchstart", "scroll", "mousemove"].forEach(function (name) {
    document.addEventListener(name, restart, { passive: true });
  });
  restart();
})();
