"""The search context: a persistent, incremental SQLite index of chosen folders. No Qt.

Public API (the workflow and ui layers use only these names)::

    store = ContextStore()                 # or ContextStore(db_path)
    ctx = store.create("Holidays", folders=["/photos"])   # or store.open("Holidays")
    report = ctx.index(progress=cb, cancel=token)          # incremental
    pairs = ctx.scored_pairs(progress=cb, cancel=token)    # cached pair scores down to the floor
    groups = ctx.find_duplicates(threshold=90, pairs=pairs)  # in-memory regroup when pairs given
    results = ctx.find_similar("/elsewhere/x.jpg", threshold=70, max_count=20)
    comparison = ctx.compare(id_or_path_a, id_or_path_b)
"""
