"""``python -m cnnlessons.bench`` (the README's command), and the old path of
:mod:`cnnlessons.runs.bench`."""

import sys

from .runs import bench

if __name__ == "__main__":
    from . import lessons  # noqa: F401  registers every lesson's recipes

    bench.main(sys.argv[1:])
else:
    sys.modules[__name__] = bench
