"""PostgreSQL: article.search_vector kept by a trigger instead of a generated column

The vector (title weighted A, summary B, body C, 'english') is unchanged; it now comes from one
function, article_search_vector(title, description, body), which a BEFORE INSERT / UPDATE OF
title, description, body trigger stores in the column. Why: a generated column is computed by
the one backend that inserts the row, and to_tsvector costs ~230 us an article (the parser),
~23 CPU s for the seed's 100k articles. With a plain column the bulk seed can disable the
trigger inside its transaction and store vectors computed by that same function on other
connections, in parallel (application/data/seed_search.py). Ordinary writes go through the
trigger, so the column never disagrees with the text. Like-count updates do not touch it (a
stored generated column was recomputed on every UPDATE of the row).
SQLite: nothing changes (FTS5 table and triggers of revision 0003).

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The trigger's name is also in application/data/seed_search.py (the seed disables it for its load).
PG_UP = [
    """CREATE FUNCTION article_search_vector(title text, description text, body text) RETURNS tsvector
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
               setweight(to_tsvector('english', coalesce(description, '')), 'B') ||
               setweight(to_tsvector('english', coalesce(body, '')), 'C') $$""",
    """CREATE FUNCTION article_search_vector_fill() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.search_vector := article_search_vector(NEW.title, NEW.description, NEW.body);
            RETURN NEW;
        END $$""",
    # Keeps every stored value (no rewrite); the column just stops being generated.
    "ALTER TABLE article ALTER COLUMN search_vector DROP EXPRESSION",
    """CREATE TRIGGER article_search_vector BEFORE INSERT OR UPDATE OF title, description, body ON article
        FOR EACH ROW EXECUTE FUNCTION article_search_vector_fill()""",
]
# Back to revision 0003's generated column (recomputed for every row) and its GIN index.
PG_DOWN = [
    "DROP TRIGGER IF EXISTS article_search_vector ON article",
    "DROP FUNCTION IF EXISTS article_search_vector_fill()",
    "DROP FUNCTION IF EXISTS article_search_vector(text, text, text)",
    "ALTER TABLE article DROP COLUMN IF EXISTS search_vector",
    """ALTER TABLE article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(description, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(body, '')), 'C')) STORED""",
    "CREATE INDEX ix_article_search_vector ON article USING GIN (search_vector)",
]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_UP:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_DOWN:
            op.execute(statement)
