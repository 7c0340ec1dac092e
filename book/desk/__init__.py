"""The editors' desk: tools around the book rather than stages of the build — start a
project (new), bring a Word chapter in (docx), spell-check prose (spelling), and list
the corrections between two editions (changes)."""
