"""book: builds an explainer book's PDF, EPUB 3 and web editions from Markdown chapters."""

__version__ = "0.1.0"
