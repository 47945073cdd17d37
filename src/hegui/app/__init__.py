"""The composition root, above every duty package: builds the shared :class:`Services` and the
whole web application (gateway, console, complaints) from the settings.

Layers, each importing only those below it at run time (pinned by ``tests/test_layers.py``)::

    cli, bootstrap
    app                                      ← this package
    gateway   console → cases   obligations
    throttle  records  labeling  web  hooks
    identity  moderation
    settings  storage  errors  fileio  codes  logs
"""

from hegui.app.services import Services, build_moderator, build_services
from hegui.app.web import create_app

__all__ = ["Services", "build_moderator", "build_services", "create_app"]
