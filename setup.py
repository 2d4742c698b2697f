"""Package layout that ``pyproject.toml`` cannot express: ``resources/`` (device library,
presets) ships in wheels as the data-only package ``twindesk_resources``, so a non-editable
``pip install .`` finds it through :func:`twindesk.paths.resources_dir` while a source
checkout keeps the folder at the top of the repository. Everything else is in pyproject.toml.
"""

from setuptools import find_namespace_packages, find_packages, setup

RESOURCES = ["twindesk_resources", *(f"twindesk_resources.{p}"
                                     for p in find_namespace_packages(where="resources"))]

setup(packages=[*find_packages(include=["twindesk", "twindesk.*"]), *RESOURCES],
      package_dir={"twindesk_resources": "resources"})
