"""The record machinery every registry is built with (core and plug-in alike).

Modules, lowest first: ``catalog`` (the class registry and table model), ``fields``,
``uid``, ``versions`` (the version rule), ``writes`` (saves and deletes in one
transaction), ``queryset`` (lazy filters), ``related`` (many-to-many managers),
``search``, ``lookup``, and ``record`` (the ``Record`` base class that ties them together).
"""
