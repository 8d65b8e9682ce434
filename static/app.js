// Live like counts and new-article notices over Server-Sent Events, and likes without a reload.
(function () {
  "use strict";
  var state = (window.Broadsheet = window.Broadsheet || { source: null, reconnects: 0, timer: null });

  function setCount(articleId, count) {
    document.querySelectorAll('[data-like-count="' + articleId + '"]').forEach(function (el) {
      el.textContent = count;
    });
  }

  // The new article's item exactly as the server renders it on page 1 (authors, date, likes):
  // the index was invalidated before the event was published, so a fresh fetch has it.
  function fetchItem(articleId) {
    return fetch("/", { credentials: "same-origin", cache: "no-store", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.text();
      }).then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var item = doc.querySelector('#article-list > [data-article-id="' + articleId + '"]');
        if (!item) throw new Error("not on page 1 yet");
        return document.importNode(item, true);
      });
  }

  function onPublished(e) {
    // Only page 1 lists the newest articles; older pages must not change under the reader.
    var list = document.querySelector("#article-list[data-live]");
    if (!list) return;
    var data = JSON.parse(e.data);
    var selector = '[data-article-id="' + data.article_id + '"]';
    if (list.querySelector(selector)) return;
    fetchItem(data.article_id).then(function (item) {
      if (list.querySelector(selector)) return;
      item.classList.add("bs-new");
      var empty = list.querySelector("[data-empty]");
      if (empty) empty.remove();
      list.insertBefore(item, list.firstElementChild);
    }).catch(function () { /* the next reload shows it */ });
  }

  function connect(url, delay) {
    var source = new EventSource(url);
    state.source = source;
    source.addEventListener("open", function () { delay = 1000; });
    source.addEventListener("like_count", function (e) {
      var data = JSON.parse(e.data);
      setCount(data.article_id, data.like_count);
    });
    source.addEventListener("article_published", onPublished);
    source.addEventListener("error", function () {
      // EventSource retries by itself after network errors; after an HTTP error (e.g. 503 while
      // Redis is away) it gives up (CLOSED), so reconnect here with a capped backoff.
      if (source.readyState !== EventSource.CLOSED || state.source !== source) return;
      state.reconnects += 1;
      state.timer = setTimeout(function () { connect(url, Math.min(delay * 2, 30000)); }, delay);
    });
  }

  function disconnect() {
    clearTimeout(state.timer);
    if (state.source) state.source.close();
    state.source = null;
  }

  // Progressive enhancement: like/unlike through fetch, answer shows the new state and count at once.
  function enhanceLikeForm(form) {
    form.addEventListener("submit", function (e) {
      var token = document.querySelector('meta[name="csrf-token"]');
      if (!window.fetch || !token) return; // plain form post still works
      e.preventDefault();
      fetch(form.action, {
        method: "POST", credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": token.content },
      }).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      }).then(function (data) {
        var article = form.closest("[data-article-id]");
        if (article) setCount(article.dataset.articleId, data.like_count);
        form.action = form.action.replace(data.liked ? /\/like$/ : /\/unlike$/, data.liked ? "/unlike" : "/like");
        var button = form.querySelector("button");
        button.textContent = data.liked ? "Unlike" : "Like";
        button.className = "btn btn-sm " + (data.liked ? "btn-outline-secondary" : "btn-primary");
      }).catch(function () { form.submit(); });
    });
  }

  // The phone menu: Bootstrap's CSS collapse, toggled here rather than with its 80 KB bundle.
  document.querySelectorAll("[data-nav-toggle]").forEach(function (button) {
    var menu = document.getElementById(button.getAttribute("aria-controls"));
    button.addEventListener("click", function () {
      var open = menu.classList.toggle("show");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  });

  // Confirmation for destructive forms (no inline handlers: a strict CSP is coming).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (!window.confirm(form.dataset.confirm)) e.preventDefault();
    });
  });

  document.querySelectorAll("[data-like-form]").forEach(enhanceLikeForm);
  var url = document.body.dataset.streamUrl;
  if (url && window.EventSource) {
    connect(url, 1000);
    // A page kept in the back/forward cache must not hold its stream open: Chrome allows 6
    // connections per host, and the 7th page would wait for one of them (the ~57 s stall).
    window.addEventListener("pagehide", disconnect);
    window.addEventListener("pageshow", function (e) {
      if (e.persisted && !state.source) connect(url, 1000);
    });
  }
})();
