"""GitHub Actions workflows (``.github/workflows/*.yml``): a place is a path such as
``jobs.migrate.services.postgres.env.POSTGRES_PASSWORD`` or ``jobs.migrate.env.DATABASE_URL``.

The runner reads the YAML as it is: no ``$`` interpolation (``${{ ... }}`` expressions are the
runner's own, and a place that holds one is read as written).
"""

from __future__ import annotations

from envsync.formats.yaml_document import YamlDocument


class WorkflowDocument(YamlDocument):
    """A workflow is a plain YAML document; its places need nothing beyond paths."""
