"""The routers of the web app, one per resource (registered in ``web.app.ROUTERS``)."""
