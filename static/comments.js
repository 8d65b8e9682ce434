// Live comments: other readers' new and deleted comments appear on an open article page (SSE).
// Listens on the page's one EventSource (window.Broadsheet.source, opened by app.js) instead of a
// second connection; app.js may replace it (reconnects, back/forward cache), so re-attach when it does.
(function () {
  "use strict";
  var section = document.querySelector("[data-comments-for]");
  if (!section) return;
  var articleId = String(section.dataset.commentsFor);
  var list = section.querySelector("#comment-list");
  var counter = section.querySelector("[data-comment-count]");
  var attached = null;

  function count(delta) {
    if (counter) counter.textContent = Math.max(0, parseInt(counter.textContent, 10) + delta);
  }

  function item(comment) {
    var li = document.createElement("li");
    li.className = "comment border-bottom py-2 comment-new";
    li.id = "comment-" + comment.id;
    li.dataset.commentId = comment.id;
    var meta = document.createElement("div");
    meta.className = "small text-muted";
    var who = document.createElement("a");
    who.href = "/authors/" + encodeURIComponent(comment.author.username);
    who.textContent = comment.author.username;
    var when = document.createElement("time");
    when.dateTime = comment.created_at;
    when.textContent = comment.created_at.slice(0, 16).replace("T", " ");
    meta.append(who, " · ", when);
    var body = document.createElement("p");
    body.className = "comment-body mb-1";
    body.textContent = comment.body; // text, never HTML
    li.append(meta, body);
    return li;
  }

  function onAdded(e) {
    var data = JSON.parse(e.data);
    if (String(data.article_id) !== articleId || document.getElementById("comment-" + data.comment.id)) return;
    var empty = list.querySelector("[data-no-comments]");
    if (empty) empty.remove();
    list.insertBefore(item(data.comment), list.firstChild);
    count(1);
  }

  function onDeleted(e) {
    var data = JSON.parse(e.data);
    if (String(data.article_id) !== articleId) return;
    var el = document.getElementById("comment-" + data.comment_id);
    if (el) { el.remove(); count(-1); }
  }

  function attach() {
    var source = window.Broadsheet && window.Broadsheet.source;
    if (!source || source === attached) return;
    source.addEventListener("comment_added", onAdded);
    source.addEventListener("comment_deleted", onDeleted);
    attached = source;
  }

  attach();
  window.addEventListener("pageshow", attach);
  setInterval(attach, 1000); // a reconnect replaces the source: a cheap property check, no network
})();
