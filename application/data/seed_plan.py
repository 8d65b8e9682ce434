"""The seed's numbers: when articles appear, how popular they are, who likes what and when.

Kept in compact arrays (a few bytes a row) rather than row objects, so 100k articles and
2M likes plan in a few tens of MB. Each part draws from its own random.Random, so a seed
gives the same plan on every machine and an added option never shifts another part.
"""
import random
from array import array
from collections import Counter

DAY = 86400
ARTICLE_DAYS = 90   # articles are spread over the 90 days before `as_of`
LIKE_DAYS = 28      # likes over the last four weeks, more of them recent
TABLE_BITS = 20
DRAFT, SCHEDULED, PUBLISHED = 0, 1, 2
STATUS_NAMES = ("draft", "scheduled", "published")


class ArticlePlan:
    """Status and publish time (epoch seconds) of every article; popularity of the published ones."""

    def __init__(self, count: int, as_of: int, seed_value):
        rng = random.Random(f"{seed_value}:articles")
        self.status = array("b", bytes(count))
        self.publish = array("q", bytes(8 * count))
        self.published: list[int] = []   # article indexes that readers can see (and like)
        weights = [0.0] * count            # by article index; 0 for drafts and scheduled ones
        start, span = as_of - ARTICLE_DAYS * DAY, ARTICLE_DAYS * DAY
        for i in range(count):
            r = rng.random()
            # Published times grow with the index (ids follow time, as on a real site).
            when = start + int((i + rng.random()) * span / max(count, 1))
            if r < 0.03:
                self.status[i], self.publish[i] = DRAFT, 0
            elif r < 0.05:
                self.status[i] = SCHEDULED
                self.publish[i] = as_of + rng.randint(1, 14) * DAY + 9 * 3600
            else:
                self.status[i], self.publish[i] = PUBLISHED, min(when, as_of - 60)
                age_days = (as_of - self.publish[i]) / DAY
                # Heavy-tailed popularity, boosted for a week or two after publication.
                weights[i] = rng.paretovariate(1.3) * (1 + 4 * 0.5 ** (age_days / 7))
                self.published.append(i)
        self.table = _draw_table(weights)


class LikePlan:
    """Who likes what: per user, a sorted run of article indexes; and the like count of every article."""

    def __init__(self, users: int, total: int, articles: ArticlePlan, as_of: int, seed_value):
        rng = random.Random(f"{seed_value}:likes")
        # Some readers like far more than others, up to ten times the average (or every published article).
        cap = min(len(articles.published), max(1, 10 * -(-total // max(users, 1))))
        self.per_user = allocate(total, [rng.paretovariate(1.2) for _ in range(users)], cap)
        self.article = array("i")
        self.articles, self.as_of, self.seed_value = articles, as_of, seed_value
        for wanted in self.per_user:
            self.article.extend(sorted(_pick(rng, wanted, articles)))
        self.counts = array("i", bytes(4 * len(articles.status)))
        for a, n in Counter(self.article).items():
            self.counts[a] = n

    def rows(self, uid0: int, aid0: int, like_id0: int, stamp, recent: array | None = None, since: float = 0):
        """(id, user_id, article_id, created_at) tuples in insertion order: ids follow (user, article).

        `recent` (one slot per article): each like at or after `since` (epoch seconds) adds one to its
        article's slot as it is generated, the tally week_likes.rebuild_week_likes would count from the rows.
        """
        rnd = random.Random(f"{self.seed_value}:like-times").random
        as_of, publish = self.as_of, self.articles.publish
        window_start = as_of - LIKE_DAYS * DAY
        article, i = self.article, 0
        day_text, clock = stamp.day_text, stamp.clock  # stamp(), inlined: it runs once per like
        if recent is None:
            since = float("inf")
        for user, n in enumerate(self.per_user):
            uid = uid0 + user
            for j in range(i, i + n):
                a = article[j]
                lower = publish[a] if publish[a] > window_start else window_start
                u = rnd()
                # 1 - u^2 leans towards `as_of`: about half the likes land in the last quarter of the window.
                created = lower + int((as_of - 1 - lower) * (1 - u * u))
                if created >= since:
                    recent[a] += 1
                day, second = divmod(created, DAY)
                yield like_id0 + j, uid, aid0 + a, (day_text.get(day) or stamp.day(day)) + clock[second]
            i += n


def allocate(total: int, weights: list[float], cap: int) -> list[int]:
    """Split `total` into integers proportional to `weights`, none above `cap` (sum(result) == total)."""
    if total > cap * len(weights):
        raise ValueError("total exceeds cap * len(weights)")
    scale = total / sum(weights) if weights else 0
    result = [min(cap, int(w * scale)) for w in weights]
    left = total - sum(result)
    order = sorted(range(len(weights)), key=lambda i: (-weights[i], i))
    while left:  # hand out the remainder one at a time, heaviest first, skipping the full ones
        for i in order:
            if left and result[i] < cap:
                result[i] += 1
                left -= 1
    return result


def _draw_table(weights: list[float]) -> array:
    """2**TABLE_BITS article indexes, each repeated in proportion to its weight: a draw is one getrandbits.

    Bisecting a cumulative list cost ~4x more per draw (2M draws); the quantisation (1/2**20) is far
    below what a demo needs, and zero-weight (unpublished) articles get no slot at all.
    """
    table = array("i")
    total = sum(weights)
    if not total:
        return table
    size, acc, filled = 1 << TABLE_BITS, 0.0, 0
    for index, weight in enumerate(weights):
        if weight:
            acc += weight
            end = size if index == len(weights) - 1 else min(size, round(acc / total * size))
            if end > filled:
                table.extend(array("i", [index]) * (end - filled))
                filled = end
    table.extend(array("i", [table[-1]]) * (size - filled))
    return table


def _pick(rng: random.Random, wanted: int, articles: ArticlePlan) -> set[int]:
    """`wanted` distinct published article indexes, drawn by popularity (uniform when nearly all are needed)."""
    published = articles.published
    if wanted * 2 > len(published):
        return set(rng.sample(published, wanted))
    chosen: set[int] = set()
    table, bits = articles.table, rng.getrandbits
    for _ in range(8):
        need = wanted - len(chosen)
        if not need:
            return chosen
        chosen.update([table[bits(TABLE_BITS)] for _ in range(need)])
    # Still short after 8 rounds (a few articles hold most of the weight): fill uniformly.
    rest = [i for i in published if i not in chosen]
    chosen.update(rng.sample(rest, wanted - len(chosen)))
    return chosen
