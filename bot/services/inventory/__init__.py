"""The inventory file: its schema (``fields``, ``schema``), reading it (``loader``)
and applying it to the store (``importer``)."""
