"""cli: the `book` command: arguments, exit codes and what it prints."""
