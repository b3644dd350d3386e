# Entry point of `python3 -m bwsim`: hands over to cli.main().
import sys

from .cli import main

sys.exit(main())
