"""PLACEHOLDER - this file (the engine helper's, untracked) was overwritten by accident by the
context helper at 02:08 UTC; its original content is lost. Please re-create it.
(The context helper's own scale benchmark is tests/benchmarks/bench_context_scale.py.)"""
raise SystemExit("tests/benchmarks/bench_scale.py was overwritten by accident at 02:08 UTC; "
                 "please re-create it (see the docstring)")
