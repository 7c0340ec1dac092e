"""render: Book → Rendition. Templates make the markup of every edition (print, EPUB, web)
from the model's data; the theme holds the built-in CSS and fonts; glossary links terms.
Nothing here imports pdf, epub or web."""
