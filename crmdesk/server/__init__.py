"""The bundled Contact API server: ASGI app, storage, rate limiter and CLI. It never imports Qt."""
