"""kmodel's version: a leaf module (imports nothing), so every module can import it without a
cycle through ``kmodel/__init__.py``. Keep it equal to ``version`` in ``pyproject.toml``."""

__version__ = "0.1.0"
