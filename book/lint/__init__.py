"""lint: `book check`: the build's own checks plus the warning rules only check applies
(rules.py is the catalogue)."""
