"""Fixtures shared by the tests (helpers that are not fixtures live in ``helpers.py``)."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture
def soffice() -> str:
    """The LibreOffice binary; skips only outside CI when it is missing."""
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required in CI")
        pytest.skip("LibreOffice is not installed")
    return path
