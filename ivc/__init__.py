"""ivc: identification, validation and certification of competences (IVC).

Layers, from the inside out: domain rules (plain typed Python), services (one package per
domain concept, each with ``models`` and ``service``), flows (``ivc.flows``, Prefect), and
the interfaces (``ivc.cli``, ``ivc.ui``). Inner layers never import outer ones.
"""

__version__ = "0.1.0"
