"""epub: the EPUB 3 package, built with EbookLib and finished as a deterministic zip."""
