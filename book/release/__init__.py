"""release: `book release` (editions from a git commit, gated), the git questions it asks,
and `book verify`, the checks an edition must pass to be published."""
