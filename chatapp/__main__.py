"""``python -m chatapp``: the ``chatapp`` command."""

from chatapp.cli import main

main()
