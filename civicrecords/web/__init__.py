"""The browser view (``civicrecords serve``): search, items, requests and their review for
staff, clerks and administrators, on a local Starlette app.

``create_app(archive)`` (in ``app``) builds the ASGI app; ``users.UserStore`` manages its
accounts. Pages are rendered on the server with the shared Jinja2 templates
(``civicrecords/templates/web``, items through ``render``'s ``_item.html``); the only
scripts are same-origin files in ``web/static``. See ``app`` for the protective headers,
``auth`` for sign-in, sessions, CSRF and throttling, and ``site.guard`` for the check every
page and action passes. Importing this package is cheap: the web stack loads with ``app``.
"""
