// Live like counts and new-article notices over Server-Sent Events.
(function () {
  "use strict";
  var url = document.body.dataset.streamUrl;
  if (!url || !window.EventSource) return;
  var source = new EventSource(url); // EventSource reconnects by itself
  source.addEventListener("like_count", function (e) {
    var data = JSON.parse(e.data);
    document.querySelectorAll('[data-like-count="' + data.article_id + '"]').forEach(function (el) {
      el.textContent = data.like_count;
    });
  });
  source.addEventListener("article_published", function (e) {
    var list = document.getElementById("article-list");
    if (!list) return;
    var data = JSON.parse(e.data);
    var li = document.createElement("li");
    li.className = "mb-3 pb-3 border-bottom";
    var a = document.createElement("a");
    a.href = "/articles/" + encodeURIComponent(data.slug);
    a.textContent = "New: " + data.title;
    li.appendChild(a);
    list.insertBefore(li, list.firstChild);
  });
})();
