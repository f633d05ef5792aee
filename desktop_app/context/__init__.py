"""The search context: a persistent, incremental SQLite index of chosen folders. No Qt.

Public API (the workflow and ui layers use only these names)::

    store = ContextStore()                 # or ContextStore(db_path)
    ctx = store.create("Holidays", folders=["/photos"])   # or store.open("Holidays")
    report = ctx.index(progress=cb, cancel=token)          # incremental
    pairs = ctx.scored_pairs(progress=cb, cancel=token)    # cached pair scores down to the floor
    groups = ctx.find_duplicates(threshold=90, pairs=pairs)  # in-memory regroup when pairs given
    results = ctx.find_similar("/elsewhere/x.jpg", threshold=70, max_count=20)
    comparison = ctx.compare(id_or_path_a, id_or_path_b)

Modules: ``schema`` (tables, version table, forward-only migrations, default database path),
``scan`` (walking folders: which files count as images), ``indexer`` (incremental index runs),
``analysis`` (the worker side of indexing: one file to an outcome), ``writer`` (outcomes, moves
and copies written in batches), ``pool`` (the one process pool, surviving crashed workers),
``reporting`` (progress with rate and ETA), ``cache`` (in-memory views: records, the candidate
index), ``blobs`` (feature blobs by id), ``pairs`` (pair scoring: only new pairs, resumable)
and ``verify`` (its worker side), ``search`` (duplicates, similar, compare), ``store``
(``ContextStore``, the database of contexts),
``search_context`` (``SearchContext``), ``records`` (rows as records), ``protocols`` (what the
layers above need of a context).

Guarantees:

* Unchanged files (size + mtime) are never read again; a moved/renamed file is recognised by its
  content hash and keeps its record, pair scores and marks; a byte-identical copy is not decoded.
* Files that can't be decoded are recorded with the reason and retried only when they change.
* A folder that is missing at scan time (unplugged drive) keeps its images.
* Cancelling keeps everything committed so far; other connections and processes can read the
  database during an index run (WAL).
* User decisions (folders, protected flags, settings, "not duplicates", marks) are never dropped
  by re-indexing; "not duplicates" is keyed by content hash, so renames don't bring pairs back.
"""
