"""The local web app of procatlas (FastAPI): ``procatlas serve``; see :func:`procatlas.web.app.create_app`."""
