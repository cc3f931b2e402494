"""Path parameters of the console's pages (the pages validate their URL as the API does)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

CodePath = Annotated[str, Path(pattern=r"^\d{12}$", description="12-digit jurisdiction code")]
IdPath = Annotated[int, Path(ge=1, le=2**63 - 1, description="Case id")]
