"""``python -m minivae``: the command line, where the ``minivae`` script is not on PATH."""
from .cli import main

raise SystemExit(main())
