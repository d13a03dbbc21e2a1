"""Full-text search over the catalog's items (Whoosh by default), behind ``SearchBackend``."""
