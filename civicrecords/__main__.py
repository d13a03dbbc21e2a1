"""``python -m civicrecords``: the same as the ``civicrecords`` command."""

from civicrecords.cli.main import entry_point

entry_point()
