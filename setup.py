"""Packaging: everything is in setup.cfg except the one thing it cannot say.

The Alembic revisions live in ``migrations/`` at the top of the checkout (Flask-Migrate's
layout, where ``flask db`` looks) and are installed inside the package as
``chatapp/migrations``, so a wheel is a complete install: ``chatapp db upgrade`` and the
server's auto-migration find them there.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=find_namespace_packages(include=["chatapp", "chatapp.*"])
    + ["chatapp.migrations", "chatapp.migrations.versions"],
    package_dir={"chatapp.migrations": "migrations"},
)
