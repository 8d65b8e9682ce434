"""HTML blueprints. They parse requests, call data_access and render; no SQL, no cache calls."""
