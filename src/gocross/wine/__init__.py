"""Windows binaries here under wine: finding wine, gocross's own prefix, the ProcessPrng shim, the run wrapper.

``install`` finds the launchers (64-bit, and 32-bit where ``wine32`` is installed) without starting anything;
``prefix`` creates and checks gocross's prefix under its cache folder (never ``~/.wine``), once, under a
lock; ``shim`` builds the small ``bcryptprimitives.dll`` that Go ≥ 1.22 needs on wine < 8.13 from the C
source shipped in ``csrc/``; ``child`` is what each run starts (``python -m gocross.wine.child``): it makes
sure the prefix is ready, translates file arguments, and runs wine in the run's process group.
"""
