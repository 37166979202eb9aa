"""The course's command line: ``python -m cnnlessons <command> ...`` (or ``cnnlessons <command>``).

Commands live in ``COMMANDS``: a name -> (help, add_arguments, run) registry, so that a new command
is one function pair and one entry.
"""
from __future__ import annotations

import argparse
import sys
from typing import Callable, NamedTuple, Sequence

from . import slides as _slides


class Command(NamedTuple):
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# --- release ---------------------------------------------------------------------------------

def _release_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out_dir", metavar="OUT_DIR", help="where to write the learner notebooks")
    parser.add_argument("notebooks", metavar="NOTEBOOK", nargs="*",
                        help="instructor notebooks (default: notebooks/*.ipynb)")


def _release(args: argparse.Namespace) -> int:
    from .release import main

    return main(args.out_dir, args.notebooks)


# --- grade -----------------------------------------------------------------------------------

def _grade_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("submissions", metavar="SUBMISSION", nargs="+",
                        help="submitted notebooks, or folders to search for them")
    parser.add_argument("--out", default="grading", help="where to write the gradebook (default: grading)")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell (default: 120)")
    parser.add_argument("--total-timeout", type=float, default=None,
                        help="seconds per notebook (default: 10 x --timeout, at least 600)")
    parser.add_argument("--profile", default="smoke",
                        help="CNNLESSONS_PROFILE for the graded runs (default: smoke)")
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel to run them in (default: python3)")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks graded at a time (default: 1)")


def _grade(args: argparse.Namespace) -> int:
    from .grade import grade, gradebook_markdown
    from .profiles import PROFILES

    if args.profile not in PROFILES:
        print(f"grade: --profile must be one of {', '.join(PROFILES)}, got {args.profile!r}", file=sys.stderr)
        return 2
    if args.timeout < 1:
        print(f"grade: --timeout must be >= 1 second, got {args.timeout}", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print(f"grade: --jobs must be >= 1, got {args.jobs}", file=sys.stderr)
        return 2
    submissions = grade(args.submissions, args.out, timeout=args.timeout, total_timeout=args.total_timeout,
                        profile=args.profile, kernel_name=args.kernel, progress=True, jobs=args.jobs)
    if not submissions:
        print("grade: no notebooks found", file=sys.stderr)
        return 1
    print()
    print(gradebook_markdown(submissions), end="")
    print(f"\nwrote {args.out}/gradebook.csv, {args.out}/gradebook.md and {args.out}/executed/")
    return 0


# --- exercises -------------------------------------------------------------------------------

def _exercises_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ids", metavar="ID", nargs="*", help="describe only these exercises")


def _exercises(args: argparse.Namespace) -> int:
    from .exercises import EXERCISES, describe

    ids = args.ids or list(EXERCISES)
    unknown = [i for i in ids if i not in EXERCISES]
    if unknown:
        print(f"exercises: unknown id {unknown[0]!r}; the ids are {', '.join(EXERCISES)}", file=sys.stderr)
        return 2
    for exercise_id in ids:
        print(describe(exercise_id))
    return 0


COMMANDS: dict[str, Command] = {
    "release": Command("write learner notebooks: solution regions replaced by a stub",
                       _release_arguments, _release),
    "grade": Command("run submitted notebooks and write a gradebook", _grade_arguments, _grade),
    "exercises": Command("list the exercises with their contracts", _exercises_arguments, _exercises),
    "slides": Command("build lecture slides (reveal.js, offline) from the stored notebooks",
                      _slides.add_arguments, _slides.run),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnlessons", description="The cnnlessons course tools.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, command in COMMANDS.items():
        command.add_arguments(sub.add_parser(name, help=command.help, description=command.help))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command].run(args)


if __name__ == "__main__":
    sys.exit(main())
