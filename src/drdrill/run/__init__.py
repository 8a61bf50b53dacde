"""The drill's orchestration: small phases over one undo stack (see :mod:`drdrill.runner` for the order)."""
