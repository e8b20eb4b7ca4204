"""The hostile and broken corpus of ``tests/test_hostile.py``, generated at test time."""
