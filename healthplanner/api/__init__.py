"""The project-level API package: permissions, pagination, renderers, the error handler,
the OpenAPI schema class, throttling, the router class and the base viewsets every app
uses. None of these import an app; only ``urls.py``, the composition root, includes each
app's router (its ``api/urls.py``) under /api/v1/."""
