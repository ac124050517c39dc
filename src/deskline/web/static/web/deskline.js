// Deskline pages: keyboard navigation in lists, and live updates over a WebSocket.
// The socket only says "something changed"; fresh HTML comes over plain HTTP.
(function () {
  "use strict";

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  // --- j / k / Enter / x in ticket lists -------------------------------------------
  function setupKeys() {
    var table = document.querySelector("table[data-keys]");
    if (!table) return;
    var index = -1;
    function rows() { return Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-href]")); }
    function select(next) {
      var all = rows();
      if (!all.length) return;
      index = Math.max(0, Math.min(all.length - 1, next));
      all.forEach(function (row, i) { row.classList.toggle("current", i === index); });
      var link = all[index].querySelector("a");
      if (link) link.focus();
    }
    document.addEventListener("keydown", function (event) {
      if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      var all = rows();
      if (event.key === "j") { select(index + 1); event.preventDefault(); }
      else if (event.key === "k") { select(index - 1); event.preventDefault(); }
      else if (event.key === "x" && all[index]) {
        var box = all[index].querySelector("input[type=checkbox]");
        if (box) box.checked = !box.checked;
        event.preventDefault();
      } else if (event.key === "Enter" && all[index] && document.activeElement.tagName !== "A") {
        window.location.href = all[index].dataset.href;
      }
    });
  }

  // --- canned responses: put a macro's text at the cursor in the reply box ----------
  function setupMacros() {
    var form = document.getElementById("macro-form");
    var body = document.getElementById("reply-body");
    var insert = document.getElementById("macro-insert");
    if (!form || !body || !insert || !window.fetch) return;
    insert.addEventListener("click", function (event) {
      event.preventDefault();
      var url = form.dataset.textUrl.replace("MACRO", encodeURIComponent(form.elements.macro.value));
      fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      }).then(function (text) {
        body.setRangeText(text, body.selectionStart, body.selectionEnd, "end");
        body.dispatchEvent(new Event("input"));  // presence: now replying
        body.focus();
      }).catch(function () {
        form.requestSubmit(insert);  // the server renders the page with the text instead
      });
    });
  }

  // --- live updates -------------------------------------------------------------
  function connect(path, onMessage, onOpen) {
    var base = document.body.dataset.live;
    if (!base || !window.WebSocket) return null;
    var state = { socket: null, delay: 1000 };
    function open() {
      var socket = new WebSocket(base + path);
      state.socket = socket;
      socket.onopen = function () { state.delay = 1000; if (onOpen) onOpen(socket); };
      socket.onmessage = function (event) { onMessage(JSON.parse(event.data), socket); };
      socket.onclose = function (event) {
        // A refused handshake: no access, don't retry. 4401 (access ended while open)
        // retries like a lost connection: the next handshake, with the cookie the page
        // holds now, opens again where only the session's key changed.
        if (event.code === 4403 || event.code === 4404) return;
        setTimeout(open, state.delay);
        state.delay = Math.min(state.delay * 2, 30000);
      };
    }
    open();
    return state;
  }

  function refresh(url, target, swap, after) {
    if (!window.htmx) { return; }
    htmx.ajax("GET", url, { target: target, swap: swap }).then(function () { if (after) after(); });
  }

  function setupTicket() {
    var holder = document.querySelector("[data-ticket-id]");
    if (!holder) return;
    var url = holder.dataset.ticketUrl;
    var body = document.getElementById("reply-body");
    var seen = document.getElementById("seen-event");
    var presence = document.getElementById("presence");
    var notice = document.getElementById("live-notice");
    var others = {};
    var myState = "viewing";

    function showPresence() {
      if (!presence) return;
      var now = Date.now();
      var parts = [];
      Object.keys(others).forEach(function (key) {
        var other = others[key];
        if (now - other.at > 50000) { delete others[key]; return; }
        var template = other.state === "replying" ? presence.dataset.replying : presence.dataset.viewing;
        parts.push(template.replace("{name}", other.name));
      });
      presence.textContent = parts.join(" · ");
    }

    function afterTimeline() {
      var timeline = document.getElementById("timeline");
      // Someone writing a reply has not read what just arrived: the server will warn.
      if (seen && timeline && (!body || !body.value.trim())) seen.value = timeline.dataset.seen;
    }

    var live = connect("/ws/tickets/" + holder.dataset.ticketId + "/", function (message, socket) {
      if (message.event === "presence") {
        if (message.state === "left") delete others[message.key];
        else others[message.key] = { name: message.name, state: message.state, at: Date.now() };
        showPresence();
      } else if (message.event === "change") {
        if (seen) {
          refresh(url + "?part=timeline", "#timeline", "outerHTML", afterTimeline);
          if (!message.mine && message.kind === "ticket_updated" && notice) notice.hidden = false;
        } else {
          refresh(url, "#portal-ticket", "innerHTML");
        }
      }
    }, function (socket) {
      socket.send(JSON.stringify({ type: "presence", state: myState, hello: true }));
    });
    if (!live) return;
    function announce() {
      if (live.socket && live.socket.readyState === 1) {
        live.socket.send(JSON.stringify({ type: "presence", state: myState }));
      }
    }
    if (body) {
      body.addEventListener("input", function () {
        var next = body.value.trim() ? "replying" : "viewing";
        if (next !== myState) { myState = next; announce(); }
      });
    }
    setInterval(function () { announce(); showPresence(); }, 20000);
  }

  function setupDesk() {
    var counts = document.getElementById("queue-counts");
    var rows = document.getElementById("ticket-rows");
    if (!counts && !rows) return;
    var timer = null;
    connect("/ws/desks/", function (message) {
      if (message.event !== "change") return;
      clearTimeout(timer);
      timer = setTimeout(function () {
        document.body.dispatchEvent(new CustomEvent("live-desk-change"));
        if (rows && !rows.querySelector("input[type=checkbox]:checked")) {
          refresh(window.location.href, "#ticket-rows", "innerHTML");
        }
      }, 300);
    });
  }

  // A new notification: fresh badge over HTTP, and a toast with its text for a while.
  function setupNotifications() {
    var badge = document.getElementById("notification-badge");
    if (!badge || !window.fetch) return;
    var toast = null;
    function showToast(text, href) {
      if (!toast) {
        toast = document.createElement("div");
        toast.className = "toast";
        toast.setAttribute("role", "status");
        document.body.appendChild(toast);
      }
      var link = document.createElement("a");
      link.href = href;
      link.textContent = text;
      link.dir = "auto";
      toast.replaceChildren(link);
      toast.hidden = false;
      clearTimeout(toast.timer);
      toast.timer = setTimeout(function () { toast.hidden = true; }, 8000);
    }
    connect("/ws/me/", function (message) {
      if (message.event !== "notification") return;
      var current = document.getElementById("notification-badge");
      fetch(current.dataset.badgeUrl, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      }).then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html.trim();
        var fresh = holder.firstElementChild;
        if (!fresh) return;
        var before = current.dataset.latestId;
        current.replaceWith(fresh);
        if (fresh.dataset.latestId && fresh.dataset.latestId !== before) {
          showToast(fresh.dataset.latest, fresh.href);
        }
      }).catch(function () { /* the next push or page load catches up */ });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupKeys();
    setupMacros();
    setupTicket();
    setupDesk();
    setupNotifications();
  });
})();
