"""``python -m cnnlessons.reproduce`` (the README's command), and the old path of
:mod:`cnnlessons.runs.reproduce`."""

import sys

from .runs import reproduce

if __name__ == "__main__":
    from . import lessons  # noqa: F401  registers every lesson's recipes

    reproduce.main(sys.argv[1:])
else:
    sys.modules[__name__] = reproduce
