"""Where the built-in theme (CSS and the open-licensed fonts it embeds) lives."""

from importlib import resources
from pathlib import Path

THEME = Path(str(resources.files("book") / "theme"))
FONTS = THEME / "fonts"
