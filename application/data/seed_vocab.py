"""The seed's vocabulary: topics (the tag names), people's names, and real reference links.

Plain data only; seed_content.py turns it into titles, summaries and Markdown bodies.
Each topic: things an article can be about, related tags, links worth citing and,
for technical topics, a short code sample (language, source).
"""

TOPICS = {
    "python": {
        "things": ["type hints", "async generators", "packaging", "dataclasses", "pytest fixtures",
                   "the standard library", "virtual environments", "structural pattern matching",
                   "context managers", "profiling", "the GIL"],
        "related": ["testing", "data-science", "open-source", "performance"],
        "links": [("the Python tutorial", "https://docs.python.org/3/tutorial/"),
                  ("PEP 8", "https://peps.python.org/pep-0008/"),
                  ("the typing documentation", "https://docs.python.org/3/library/typing.html")],
        "code": ("python", 'from dataclasses import dataclass\n\n\n@dataclass(frozen=True)\nclass Reading:\n'
                 '    sensor: str\n    value: float\n\n\ndef average(readings: list[Reading]) -> float:\n'
                 '    return sum(r.value for r in readings) / len(readings)'),
    },
    "javascript": {
        "things": ["event listeners", "modules", "promises", "the fetch API", "bundlers", "service workers",
                   "TypeScript", "web components", "the event loop", "form validation"],
        "related": ["css", "web-performance", "accessibility", "design"],
        "links": [("MDN's JavaScript guide", "https://developer.mozilla.org/en-US/docs/Web/JavaScript/Guide"),
                  ("the fetch API on MDN", "https://developer.mozilla.org/en-US/docs/Web/API/Fetch_API")],
        "code": ("javascript", 'const response = await fetch("/api/articles?limit=5");\n'
                 'if (!response.ok) throw new Error(`HTTP ${response.status}`);\n'
                 'const { articles } = await response.json();\n'
                 'articles.forEach((a) => console.log(a.title));'),
    },
    "postgresql": {
        "things": ["partial indexes", "EXPLAIN ANALYZE", "connection pooling", "VACUUM", "JSONB columns",
                   "full-text search", "logical replication", "row-level security", "window functions",
                   "query plans"],
        "related": ["performance", "architecture", "devops", "sqlite"],
        "links": [("the PostgreSQL manual", "https://www.postgresql.org/docs/current/"),
                  ("Using EXPLAIN", "https://www.postgresql.org/docs/current/using-explain.html")],
        "code": ("sql", "CREATE INDEX CONCURRENTLY ix_orders_open\n    ON orders (customer_id, created_at)\n"
                 "    WHERE status = 'open';\n\nEXPLAIN ANALYZE\nSELECT * FROM orders\n"
                 " WHERE customer_id = 42 AND status = 'open'\n ORDER BY created_at DESC\n LIMIT 20;"),
    },
    "sqlite": {
        "things": ["WAL mode", "embedded databases", "FTS5", "backups", "single-file deployments",
                   "SQLite in production", "migrations", "busy timeouts"],
        "related": ["postgresql", "performance", "python"],
        "links": [("Appropriate uses for SQLite", "https://www.sqlite.org/whentouse.html"),
                  ("Write-ahead logging", "https://www.sqlite.org/wal.html")],
        "code": ("sql", "PRAGMA journal_mode = WAL;\nPRAGMA synchronous = NORMAL;\n\n"
                 "CREATE VIRTUAL TABLE notes_fts USING fts5(title, body);\n"
                 "SELECT title FROM notes_fts WHERE notes_fts MATCH 'harbour' ORDER BY rank;"),
    },
    "web-performance": {
        "things": ["caching headers", "image formats", "Core Web Vitals", "HTTP compression", "lazy loading",
                   "server-side rendering", "font loading", "CDN configuration", "third-party scripts"],
        "related": ["javascript", "css", "performance", "design"],
        "links": [("web.dev on Core Web Vitals", "https://web.dev/articles/vitals"),
                  ("HTTP caching on MDN", "https://developer.mozilla.org/en-US/docs/Web/HTTP/Caching")],
        "code": ("http", "HTTP/1.1 200 OK\nContent-Type: text/css\nContent-Encoding: br\n"
                 "Cache-Control: public, max-age=31536000, immutable\nETag: \"5d8c72a5\""),
    },
    "performance": {
        "things": ["load testing", "latency percentiles", "profilers", "caching", "flame graphs",
                   "benchmarks", "memory leaks", "batching"],
        "related": ["architecture", "postgresql", "python", "devops"],
        "links": [("Brendan Gregg on flame graphs", "https://www.brendangregg.com/flamegraphs.html"),
                  ("the USE method", "https://www.brendangregg.com/usemethod.html")],
        "code": ("bash", "wrk -t2 -c32 -d30s --latency http://127.0.0.1:5000/\n"
                 "py-spy record -o profile.svg --pid \"$(pgrep -f gunicorn | head -1)\""),
    },
    "security": {
        "things": ["password hashing", "CSRF tokens", "content security policies", "dependency audits",
                   "secrets management", "threat modelling", "two-factor authentication", "rate limiting"],
        "related": ["devops", "architecture", "open-source"],
        "links": [("the OWASP Top Ten", "https://owasp.org/www-project-top-ten/"),
                  ("OWASP's password storage cheat sheet",
                   "https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html")],
        "code": ("python", "from argon2 import PasswordHasher\n\nhasher = PasswordHasher()\n"
                 "stored = hasher.hash(\"correct horse battery staple\")\n"
                 "hasher.verify(stored, \"correct horse battery staple\")  # raises if wrong"),
    },
    "devops": {
        "things": ["deploy pipelines", "observability", "incident reviews", "container images",
                   "blue-green deploys", "on-call rotations", "infrastructure as code", "log retention"],
        "related": ["security", "performance", "architecture", "testing"],
        "links": [("Google's SRE book", "https://sre.google/sre-book/table-of-contents/"),
                  ("the twelve-factor app", "https://12factor.net/")],
        "code": ("yaml", "jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
                 "      - uses: actions/checkout@v4\n      - run: ./local_test.sh -q"),
    },
    "testing": {
        "things": ["property-based testing", "flaky tests", "test fixtures", "integration tests",
                   "browser tests", "mutation testing", "code review", "test data"],
        "related": ["python", "devops", "architecture"],
        "links": [("the pytest documentation", "https://docs.pytest.org/"),
                  ("Hypothesis", "https://hypothesis.readthedocs.io/")],
        "code": ("python", "from hypothesis import given, strategies as st\n\n\n@given(st.lists(st.integers()))\n"
                 "def test_sorting_is_idempotent(xs):\n    assert sorted(sorted(xs)) == sorted(xs)"),
    },
    "architecture": {
        "things": ["monoliths", "message queues", "cache invalidation", "API design", "background jobs",
                   "event sourcing", "feature flags", "database migrations"],
        "related": ["performance", "devops", "postgresql", "testing"],
        "links": [("Martin Fowler on monoliths first", "https://martinfowler.com/bliki/MonolithFirst.html"),
                  ("Scaling Memcache at Facebook",
                   "https://www.usenix.org/conference/nsdi13/technical-sessions/presentation/nishtala")],
        "code": ("python", "def get_profile(user_id: int) -> dict:\n    key = f\"profile:{user_id}\"\n"
                 "    cached = cache.get(key)\n    if cached is None:\n        cached = load_profile(user_id)\n"
                 "        cache.set(key, cached, timeout=300)\n    return cached"),
    },
    "accessibility": {
        "things": ["screen readers", "colour contrast", "keyboard navigation", "alt text", "focus states",
                   "accessible forms", "ARIA labels", "captions"],
        "related": ["design", "css", "javascript"],
        "links": [("the WCAG quick reference", "https://www.w3.org/WAI/WCAG22/quickref/"),
                  ("WebAIM's contrast checker", "https://webaim.org/resources/contrastchecker/")],
        "code": ("html", '<label for="email">Email address</label>\n'
                 '<input id="email" name="email" type="email" autocomplete="email" required>\n'
                 '<p id="email-help">We never share it.</p>'),
    },
    "css": {
        "things": ["CSS grid", "container queries", "custom properties", "dark mode", "responsive type",
                   "layout shifts", "cascade layers", "print stylesheets"],
        "related": ["design", "web-performance", "accessibility", "javascript"],
        "links": [("MDN's CSS grid guide", "https://developer.mozilla.org/en-US/docs/Web/CSS/CSS_grid_layout"),
                  ("Every Layout", "https://every-layout.dev/")],
        "code": ("css", ".cards {\n  display: grid;\n  gap: 1rem;\n"
                 "  grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr));\n}"),
    },
    "data-science": {
        "things": ["notebooks", "data cleaning", "dashboards", "sampling", "time series",
                   "A/B tests", "spreadsheets", "visualisation"],
        "related": ["python", "machine-learning", "economics"],
        "links": [("the pandas user guide", "https://pandas.pydata.org/docs/user_guide/index.html"),
                  ("Our World in Data", "https://ourworldindata.org/")],
        "code": ("python", "import pandas as pd\n\nsales = pd.read_csv(\"sales.csv\", parse_dates=[\"day\"])\n"
                 "weekly = sales.resample(\"W\", on=\"day\")[\"amount\"].sum()\nprint(weekly.tail())"),
    },
    "machine-learning": {
        "things": ["embeddings", "evaluation sets", "model drift", "feature stores", "small models",
                   "labelling", "recommendation systems", "overfitting"],
        "related": ["data-science", "python", "science"],
        "links": [("scikit-learn's user guide", "https://scikit-learn.org/stable/user_guide.html"),
                  ("Google's rules of machine learning",
                   "https://developers.google.com/machine-learning/guides/rules-of-ml")],
        "code": ("python", "from sklearn.model_selection import cross_val_score\n"
                 "from sklearn.linear_model import LogisticRegression\n\n"
                 "scores = cross_val_score(LogisticRegression(max_iter=1000), X, y, cv=5)\n"
                 "print(f\"{scores.mean():.3f} ± {scores.std():.3f}\")"),
    },
    "open-source": {
        "things": ["maintainers", "licences", "issue triage", "release notes", "governance",
                   "funding", "first contributions", "forks"],
        "related": ["career", "python", "security"],
        "links": [("the Open Source Guides", "https://opensource.guide/"),
                  ("choosealicense.com", "https://choosealicense.com/")],
        "code": ("bash", "git switch -c fix-typo-in-readme\ngit commit -am \"Docs: fix a typo in the README\"\n"
                 "git push -u origin fix-typo-in-readme"),
    },
    "career": {"things": ["mentoring", "job interviews", "promotion cases", "changing teams", "side projects",
                          "burnout", "salary negotiation", "first jobs"],
               "related": ["remote-work", "productivity", "writing"],
               "links": [("the Stack Overflow developer survey", "https://survey.stackoverflow.co/")]},
    "remote-work": {"things": ["async communication", "home offices", "time zones", "video calls",
                               "written decisions", "team rituals", "co-working spaces"],
                    "related": ["career", "productivity", "writing"],
                    "links": [("GitLab's remote handbook", "https://handbook.gitlab.com/handbook/company/culture/all-remote/")]},
    "productivity": {"things": ["to-do lists", "deep work", "meetings", "note-taking", "calendars",
                                "email", "weekly reviews", "saying no"],
                     "related": ["career", "remote-work", "writing"],
                     "links": [("Paul Graham's maker's schedule", "http://www.paulgraham.com/makersschedule.html")]},
    "writing": {"things": ["first drafts", "editing", "newsletters", "technical writing", "headlines",
                           "style guides", "writing every day", "blogging"],
                "related": ["books", "career", "productivity"],
                "links": [("Orwell's Politics and the English Language",
                           "https://www.orwellfoundation.com/the-orwell-foundation/orwell/essays-and-other-works/politics-and-the-english-language/"),
                          ("the Google developer documentation style guide", "https://developers.google.com/style")]},
    "design": {"things": ["design systems", "typography", "user interviews", "prototypes", "icons",
                          "onboarding flows", "empty states", "colour palettes"],
               "related": ["css", "accessibility", "writing"],
               "links": [("Nielsen Norman Group's usability heuristics", "https://www.nngroup.com/articles/ten-usability-heuristics/"),
                         ("Butterick's Practical Typography", "https://practicaltypography.com/")]},
    "photography": {"things": ["street photography", "film cameras", "prime lenses", "golden hour",
                               "photo editing", "composition", "night skies", "portraits"],
                    "related": ["travel", "design", "astronomy"],
                    "links": [("the Magnum Photos archive", "https://www.magnumphotos.com/")]},
    "travel": {"things": ["night trains", "slow travel", "packing light", "walking holidays", "city breaks",
                          "travelling with children", "border towns", "island hopping"],
               "related": ["photography", "cooking", "history", "cycling"],
               "links": [("The Man in Seat 61", "https://www.seat61.com/")]},
    "cooking": {"things": ["sourdough", "weeknight dinners", "fermentation", "cast-iron pans", "spice blends",
                           "meal planning", "baking bread", "soups"],
                "related": ["gardening", "travel", "health", "coffee"],
                "links": [("Serious Eats' guide to bread", "https://www.seriouseats.com/bread-recipes-5117734")]},
    "coffee": {"things": ["pour-over", "espresso at home", "grinders", "single-origin beans", "cold brew",
                          "water chemistry", "roasting"],
               "related": ["cooking", "travel", "productivity"],
               "links": [("the Specialty Coffee Association", "https://sca.coffee/")]},
    "cycling": {"things": ["bike commuting", "gravel routes", "bike maintenance", "cycle lanes",
                           "long-distance rides", "cargo bikes", "winter riding"],
                "related": ["urbanism", "health", "travel", "climate"],
                "links": [("Sheldon Brown's bicycle technical info", "https://www.sheldonbrown.com/")]},
    "running": {"things": ["couch to 5K", "marathon training", "trail running", "running shoes", "recovery",
                           "interval sessions", "parkrun"],
                "related": ["health", "cycling", "productivity"],
                "links": [("parkrun", "https://www.parkrun.com/")]},
    "gardening": {"things": ["raised beds", "composting", "seed saving", "balcony gardens", "native plants",
                             "pruning", "allotments", "growing tomatoes"],
                  "related": ["climate", "cooking", "science"],
                  "links": [("the RHS gardening advice pages", "https://www.rhs.org.uk/advice")]},
    "climate": {"things": ["heat pumps", "carbon budgets", "flood defences", "rooftop solar",
                           "home insulation", "electric buses", "rewilding", "climate models"],
                "related": ["science", "urbanism", "economics", "gardening"],
                "links": [("the IPCC's reports", "https://www.ipcc.ch/reports/"),
                          ("Carbon Brief", "https://www.carbonbrief.org/")]},
    "urbanism": {"things": ["bus networks", "fifteen-minute cities", "street trees", "housing density",
                            "parking minimums", "public squares", "night buses", "tram lines"],
                 "related": ["cycling", "climate", "history", "economics"],
                 "links": [("Human Transit", "https://humantransit.org/")]},
    "history": {"things": ["old maps", "local archives", "oral history", "lost railways", "shipwrecks",
                           "medieval markets", "letters home", "industrial towns"],
                "related": ["books", "travel", "urbanism"],
                "links": [("the Internet Archive", "https://archive.org/")]},
    "books": {"things": ["reading lists", "second-hand bookshops", "book clubs", "translated fiction",
                         "audiobooks", "libraries", "rereading", "short stories"],
              "related": ["writing", "history", "science"],
              "links": [("Project Gutenberg", "https://www.gutenberg.org/")]},
    "music": {"things": ["vinyl", "home recording", "learning the piano", "playlists", "live gigs",
                         "music theory", "synthesisers", "choirs"],
              "related": ["film", "books", "history"],
              "links": [("IMSLP, the public-domain score library", "https://imslp.org/")]},
    "film": {"things": ["film festivals", "documentaries", "screenwriting", "old cinemas", "subtitles",
                        "animation", "cinematography"],
             "related": ["music", "books", "photography"],
             "links": [("the BFI", "https://www.bfi.org.uk/")]},
    "science": {"things": ["peer review", "citizen science", "replication", "lab notebooks",
                           "open data", "field work", "science journalism"],
                "related": ["astronomy", "climate", "data-science", "health"],
                "links": [("arXiv", "https://arxiv.org/"), ("Nature's news pages", "https://www.nature.com/news")]},
    "astronomy": {"things": ["backyard telescopes", "meteor showers", "dark skies", "the Moon",
                             "exoplanets", "eclipses", "star charts"],
                  "related": ["science", "photography"],
                  "links": [("NASA's night sky network", "https://science.nasa.gov/skywatching/"),
                            ("Stellarium", "https://stellarium.org/")]},
    "economics": {"things": ["inflation", "housing markets", "small businesses", "the four-day week",
                             "minimum wages", "supply chains", "household budgets"],
                  "related": ["startups", "urbanism", "climate", "data-science"],
                  "links": [("Our World in Data on economic growth", "https://ourworldindata.org/economic-growth")]},
    "startups": {"things": ["pricing", "first customers", "fundraising", "product-market fit", "hiring",
                            "bootstrapping", "churn", "pivots"],
                 "related": ["economics", "career", "design"],
                 "links": [("Y Combinator's startup library", "https://www.ycombinator.com/library")]},
    "education": {"things": ["homework", "online courses", "teaching programming", "school libraries",
                             "exams", "apprenticeships", "learning languages"],
                  "related": ["books", "career", "science"],
                  "links": [("Khan Academy", "https://www.khanacademy.org/")]},
    "health": {"things": ["sleep", "walking", "strength training", "eating well", "screen time",
                          "stress", "standing desks"],
               "related": ["running", "cooking", "productivity"],
               "links": [("the NHS's exercise guidelines", "https://www.nhs.uk/live-well/exercise/")]},
}
TAGS = sorted(TOPICS)

FIRST_NAMES = """Amara Ana Anders Aiko Alejandro Aisha Amir Anya Arjun Astrid Ayesha Beatriz Ben Bilal Camille
Carlos Chen Chiara Chloe Daniel Dara Dmitri Elena Elif Emeka Emil Emma Esther Fatima Felix Freya Gabriel Grace
Hana Hannah Hassan Helena Hugo Ibrahim Ines Ingrid Isaac Ivan Jamal James Javier Jin Joanna Jonas Jose Julia
Kai Kamala Karim Kasia Kenji Kofi Lars Laura Leila Leo Lina Lucas Luca Maya Mateo Mei Mia Mikael Mina Nadia
Naledi Nikhil Nina Noah Nora Olga Omar Oscar Pablo Paolo Priya Rafael Rania Ravi Rosa Ruth Sam Sana Santiago
Sara Seo-yeon Siddharth Sofia Soren Tariq Tess Theo Thandiwe Tomas Uma Valentina Vera Wei Yara Yusuf Zara Zoe""".split()

LAST_NAMES = """Abara Adeyemi Ahmed Alvarez Andersen Bakker Banerjee Becker Bianchi Brennan Castillo Chen Costa
Dahl Dubois Eriksson Fernandes Fischer Garcia Gill Haddad Hansen Hoffmann Hughes Ibrahim Ito Jensen Johansson
Kapoor Kaur Khan Kim Kowalski Kruger Larsen Laurent Lee Lindqvist Lopez Mahlangu Martin Mendes Moreau Murphy
Nakamura Nguyen Novak Nowak Obi Okafor Okonkwo Olsen Ortiz Osei Park Patel Petrov Popescu Quinn Rahman Ramos
Reyes Rossi Sato Schmidt Silva Singh Sokolova Suzuki Tanaka Torres Tran Varga Walsh Wang Weber Wright Yamamoto
Yilmaz Zhang Zielinski""".split()
