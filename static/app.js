// Live like counts and new-article notices over Server-Sent Events, and likes without a reload.
(function () {
  "use strict";
  var state = (window.Broadsheet = window.Broadsheet || { source: null, reconnects: 0 });

  function setCount(articleId, count) {
    document.querySelectorAll('[data-like-count="' + articleId + '"]').forEach(function (el) {
      el.textContent = count;
    });
  }

  function onPublished(e) {
    var list = document.getElementById("article-list");
    if (!list) return;
    var data = JSON.parse(e.data);
    if (list.querySelector('[data-article-id="' + data.article_id + '"]')) return;
    var li = document.createElement("li");
    li.className = "mb-3 pb-3 border-bottom";
    li.dataset.articleId = data.article_id;
    var a = document.createElement("a");
    a.href = "/articles/" + encodeURIComponent(data.slug);
    a.textContent = "New: " + data.title;
    li.appendChild(a);
    list.insertBefore(li, list.firstChild);
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
      if (source.readyState !== EventSource.CLOSED) return;
      state.reconnects += 1;
      setTimeout(function () { connect(url, Math.min(delay * 2, 30000)); }, delay);
    });
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

  document.querySelectorAll("[data-like-form]").forEach(enhanceLikeForm);
  var url = document.body.dataset.streamUrl;
  if (url && window.EventSource) connect(url, 1000);
})();
