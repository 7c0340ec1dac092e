"""source: the project read and checked, up to the frozen Book. load reads the files
(paths.py keeps every read inside the project), schema.py declares every file's keys,
parse turns a chapter's Markdown into a Chapter, datapages a timeline or glossary TOML,
assemble resolves photos, figures and links into the Book."""
