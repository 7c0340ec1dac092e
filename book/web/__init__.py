"""web: the web edition, written as a folder (site.py) or served while editing (serve.py)."""
