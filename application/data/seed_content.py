"""Readable demo text for the seed: people, titles, summaries and Markdown bodies.

Every function draws only from the random.Random it is given, so a seed gives the
same text on any machine. Bodies are assembled from templates (a few µs each) so
the seed keeps its >= 10k articles/s; they use what application/markdown_render.py
renders: headings, lists, quotes, fenced code, tables and links.
"""
import math
import random
import re

from .seed_vocab import FIRST_NAMES, LAST_NAMES, TOPICS

AVATAR_COLOURS = 8  # application/controllers/avatars.py draws one palette entry per index
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")

TITLES = """A practical guide to {thing}
What I learned from a year of {thing}
{Thing}, explained without the jargon
Why {thing} can be harder than it looks
The case for {thing}
Notes on {thing} and {other}
{Thing}: a field guide for {audience}
How we got better at {thing} in {n} weeks
Ten things I wish I had known about {thing}
Stop worrying about {thing}
Getting started with {thing}
The quiet revolution in {thing}
{Thing} for {audience}
Everything we got wrong about {thing}
A short history of {thing}
In defence of {thing}
{Thing}, one small step at a time
{Thing}: worth the effort? An honest look
The {adj} guide to {thing}
Lessons from {n} years of {thing}
How {thing} changed the way I work
Before you start with {thing}, read this
What nobody tells you about {thing}
{Thing} versus {other}: a fair comparison""".splitlines()

SUMMARIES = """A hands-on look at {thing}, with the mistakes we made along the way.
What {thing} can do for you, where it falls short, and how to start this week.
Everyone has an opinion on {thing}. Here is how it looks up close.
Three habits that made {thing} easier for us, and one we dropped.
A plain-language introduction to {thing} for {audience}.
Notes from a year of {thing}: what worked, what did not, and what surprised us.
Why it pays to take {thing} seriously, and a simple way to begin.
A short, practical tour of {thing}, with links for going deeper.""".splitlines()

AUDIENCES = ["beginners", "busy people", "small teams", "the curious", "sceptics", "new managers",
             "weekend learners", "students", "parents", "people in a hurry"]
ADJECTIVES = ["unhurried", "honest", "opinionated", "minimal", "practical", "slightly obsessive"]

OPENINGS = """Most of us meet {thing} the same way: a deadline, a half-remembered article and a problem nobody quite understands. It does not have to be like that. With a little patience, {thing} can become one of the more rewarding corners of {topic}.
I started paying attention to {thing} about {n} years ago, mostly by accident. What kept me interested was how often the simple approach beat the clever one, provided we wrote down what we were trying to learn first.
It is tempting to read everything before starting. Resist it. Spend an afternoon trying {thing} on something small and real, and the reading that follows will make far more sense.""".splitlines()

PARAGRAPHS = """The first surprise was how little of the work was about {thing} itself. Most of it was about {other}: agreeing on what "good" looks like, and noticing when we had drifted away from it.
We kept a simple log: the date, what we tried, what we expected and what actually happened. After {n} weeks the log was more useful than any guide, because it was about our situation and nobody else's.
There is a lot of confident advice about {thing}, and much of it contradicts itself. The honest answer to most questions is "it depends", followed by a short list of what it depends on.
None of this needs expensive tools. A notebook, a bit of curiosity and the willingness to be wrong in public will get you surprisingly far with {thing}.
The biggest change was not technical. Once we talked about {thing} openly, people stopped treating it as somebody else's job and started bringing small improvements every week.
What about {other}? It matters, but less than the debates suggest. Get the basics of {thing} right and most of the questions about {other} answer themselves.
We made every classic mistake. We changed three things at once, measured none of them, and then argued for a week about which one had helped. The second attempt was slower to start and much faster to finish.
A friend who has spent {n} years on {thing} put it simply: most problems are not new, they are just new to you. Somebody has written about yours; the trick is finding them before you reinvent their answer.
The numbers surprised us. The change we expected to matter most barely moved anything, while a small fix to {other} made a difference everyone noticed within days.
It helps to be honest about the costs. {Thing} takes time to learn, and the first results are rarely impressive. The payoff comes later, quietly, when things that used to be hard simply stop being a problem.""".splitlines()

ENDINGS = """After a few months the pattern was clear: the people who did best with {thing} were not the most talented, just the most consistent. Ten quiet minutes a day beat a heroic weekend every time.
If you only remember one thing, make it this: with {thing}, attention pays off more than effort. Look closely at what is already happening before you change anything.
Looking back, I would have started sooner and worried less. With {thing}, beginners are forgiven quickly; people who never begin are not.""".splitlines()

HEADINGS = ["Where to start", "What went wrong", "The short version", "Why it matters", "A closer look at {thing}",
            "What we changed", "Common mistakes", "What the numbers say", "Tools that help", "A word on {other}",
            "The trade-offs", "What I would do differently"]
CLOSINGS = ["Where this leaves us", "Further reading", "Next steps", "In short"]

ITEMS = """Start small: one experiment with {thing}, not five.
Write down what you expect before you measure anything.
Keep notes; memory is a poor archive.
Ask someone who has done {thing} for a decade.
Budget time for {other}, because it always comes up.
Stop when it stops being useful.
Change one thing at a time.
Share what you learn, even when it is small.
Read the official documentation before the hot takes.
Prefer the boring option until it fails you.
Make every change easy to undo.
Leave things tidier than you found them.""".splitlines()

QUOTES = [("Simple is better than complex.", "Tim Peters, *The Zen of Python*"),
          ("Premature optimization is the root of all evil.", "Donald Knuth"),
          ("Make it work, make it right, make it fast.", "Kent Beck"),
          ("Not everything that is faced can be changed, but nothing can be changed until it is faced.",
           "James Baldwin"),
          ("I have made this longer than usual because I have not had time to make it shorter.", "Blaise Pascal"),
          ("The best way to have a good idea is to have a lot of ideas.", "Linus Pauling"),
          ("Festina lente: make haste slowly.", "a Latin proverb"),
          ("If you want to go fast, go alone. If you want to go far, go together.", "a proverb"),
          ("The details are not the details. They make the design.", "Charles Eames")]

# How a tag reads inside a sentence, where lower case would be wrong.
TOPIC_NAMES = {"python": "Python", "javascript": "JavaScript", "postgresql": "PostgreSQL", "sqlite": "SQLite",
               "css": "CSS", "devops": "DevOps", "web-performance": "web performance"}
RESULTS = ["better than expected", "no change", "worse at first, then better", "a clear win", "too early to say",
           "abandoned", "kept it"]
CITIES = ["Lisbon", "Leeds", "Nairobi", "Osaka", "Toronto", "Kraków", "Melbourne", "Glasgow", "Lagos", "Bogotá",
          "Utrecht", "Pune", "Montréal", "Tallinn", "Cape Town", "Seoul", "Bristol", "Valencia", "Austin", "Oslo"]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def slug_base(title: str) -> str:
    """The URL slug of an ASCII title (the seed's titles are ASCII; no unidecode needed)."""
    return _NOT_SLUG.sub("-", title.lower()).strip("-")[:200]


def person(rng: random.Random, taken: set[str]) -> tuple[str, str, str]:
    """(display name, username, avatar key); the username is added to `taken` (lower case)."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    f, l = first.lower().replace("-", ""), last.lower()
    candidates = [f"{f}.{l}", f"{f}_{l}", f"{f[0]}{l}", f"{f}-{l}", f"{f}{l[0]}", f"{l}.{f}"]
    rng.shuffle(candidates)
    for name in candidates:
        if name not in taken:
            break
    else:  # every readable variant is taken: add a number, as people do
        n = rng.randrange(10, 100)
        while f"{candidates[0]}{n}" in taken:
            n += 1
        name = f"{candidates[0]}{n}"
    name = name[:32]
    taken.add(name)
    return f"{first} {last}", name, f"{first[0]}{last[0]}-{rng.randrange(AVATAR_COLOURS)}"


def bio(rng: random.Random, first_name: str, beats: list[str], is_author: bool) -> str:
    """A one-line bio: authors say what they write about; a third of readers leave it empty."""
    if is_author:
        topics = " and ".join(b.replace("-", " ") for b in beats[:2])
        return f"{first_name} writes about {topics} from {rng.choice(CITIES)}."
    if rng.random() < 0.33:
        return ""
    return f"Reader in {rng.choice(CITIES)}. Into {rng.choice(beats).replace('-', ' ')}."


def _spread(rnd, seq: list, k: int) -> list:
    """k distinct items of seq: a random start and a stride coprime to len(seq) (2 draws instead of k)."""
    n = len(seq)
    start, step = int(rnd() * n), _STRIDES[n][int(rnd() * len(_STRIDES[n]))]
    return [seq[(start + step * j) % n] for j in range(k)]


def article_text(rng: random.Random, topic: str) -> tuple[str, str, str]:
    """(title, summary, Markdown body) for an article on `topic` (one of TOPICS)."""
    rnd = rng.random
    spec = TOPICS[topic]
    thing, other = _spread(rnd, spec["things"], 2)
    slots = {"thing": thing, "Thing": _cap(thing), "other": other, "topic": TOPIC_NAMES.get(topic, topic.replace("-", " ")),
             "audience": _pick(rnd, AUDIENCES), "adj": _pick(rnd, ADJECTIVES), "n": 2 + int(rnd() * 11)}
    title = _pick(rnd, TITLES).format_map(slots)
    summary = _pick(rnd, SUMMARIES).format_map(slots)
    return title, summary, _body(rnd, spec, slots)


def _pick(rnd, seq):
    return seq[int(rnd() * len(seq))]


def _body(rnd, spec: dict, slots: dict) -> str:
    paras = [_pick(rnd, OPENINGS), *_spread(rnd, PARAGRAPHS, 3), _pick(rnd, ENDINGS)]
    h1, h2 = _spread(rnd, HEADINGS, 2)
    items = _spread(rnd, ITEMS, 3 + int(rnd() * 3))
    numbered = rnd() < 0.4
    listing = "\n".join((f"{i}. " if numbered else "- ") + item for i, item in enumerate(items, 1))
    quote, who = _pick(rnd, QUOTES)
    label, url = _pick(rnd, spec["links"])
    parts = [paras[0], paras[1], "## " + h1, paras[2], listing, "## " + h2, f"> {quote}\n>\n> — {who}",
             paras[3] + f" For a deeper treatment, see [{label}]({url}).", _example(rnd, spec),
             "## " + _pick(rnd, CLOSINGS), paras[4]]
    return "\n\n".join(parts).format_map(slots)


def _example(rnd, spec: dict) -> str:
    """A code sample for technical topics, a small results table for the others."""
    if "code" in spec:
        return _CODE[spec["code"]]
    weeks = sorted(_spread(rnd, list(range(1, 13)), 3))
    rows = "\n".join(f"| {week} | {_pick(rnd, ITEMS).rstrip('.')} | {_pick(rnd, RESULTS)} |" for week in weeks)
    return "What we tried, week by week:\n\n| Week | What we tried | Result |\n|---|---|---|\n" + rows


# Braces in code must survive the format_map in _body; built once, not per article.
_CODE = {spec["code"]: "Here is the smallest example that shows the idea:\n\n```" + spec["code"][0] + "\n"
         + spec["code"][1].replace("{", "{{").replace("}", "}}") + "\n```"
         for spec in TOPICS.values() if "code" in spec}
_STRIDES = {n: [s for s in range(1, n) if math.gcd(s, n) == 1] or [1]
            for n in {len(t["things"]) for t in TOPICS.values()} | {len(PARAGRAPHS), len(HEADINGS), len(ITEMS), 12}}
