"""What the REST API (``modelwatch.api``) and the dashboard (``modelwatch.ui``) share, below both:
the database session of a request (:mod:`~modelwatch.web.deps`), the shared path and query parameter
types, result-file serving (:mod:`~modelwatch.web.files`) and the open-mode loopback rule
(:mod:`~modelwatch.web.access`). The two are siblings: neither imports the other, and
:func:`modelwatch.server.create_app` puts them together in one app.
"""
