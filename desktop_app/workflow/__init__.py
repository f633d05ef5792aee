"""Between "these look like duplicates" and "the library is clean": groups, marks, keep rules,
archive plans, the journal and undo. The only code that moves files. No Qt."""
