"""The course's command line: ``python -m cnnlessons <command> ...`` (or ``cnnlessons <command>``).

Commands live in ``COMMANDS``: a name -> (help, add_arguments, run) registry, so that a new command
is one function pair and one entry.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NamedTuple

from .instructor import slides as _slides
from .runs import prepare as _prepare


class Command(NamedTuple):
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    intermixed: bool = False
    """Options may come between its positional arguments (``release OUT --nbgrader NOTEBOOK``)."""


def _fail(command: str, error: BaseException) -> int:
    """Report a bad argument in one line (no traceback) and give the exit status 2."""
    print(f"{command}: {error}", file=sys.stderr)
    return 2


# --- release ---------------------------------------------------------------------------------


def _release_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out_dir", metavar="OUT_DIR", help="where to write the learner notebooks")
    parser.add_argument(
        "notebooks", metavar="NOTEBOOK", nargs="*", help="instructor notebooks (default: notebooks/*.ipynb)"
    )
    parser.add_argument("--force", action="store_true", help="replace an existing OUT_DIR")
    parser.add_argument(
        "--classroom",
        metavar="DIR",
        default=None,
        help="also write a GitHub Classroom learner repository (notebooks + autograding) into DIR",
    )
    parser.add_argument(
        "--nbgrader",
        action="store_true",
        help="write an nbgrader course folder instead: source/<lesson>/<lesson>.ipynb with "
        "nbgrader's cell metadata, and nbgrader_config.py",
    )


def _release(args: argparse.Namespace) -> int:
    if args.nbgrader:
        if args.classroom:
            return _fail(
                "release", "--classroom and --nbgrader write different things; run release once for each"
            )
        from .instructor.nbgrader import main as nbgrader_main

        return nbgrader_main(args.out_dir, args.notebooks, force=args.force)
    from .instructor.release import main

    return main(args.out_dir, args.notebooks, force=args.force, classroom=args.classroom)


# --- grade -----------------------------------------------------------------------------------


def _grade_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "submissions",
        metavar="SUBMISSION",
        nargs="+",
        help="submitted notebooks, or folders to search for them",
    )
    parser.add_argument(
        "--instructor",
        metavar="PATH",
        action="append",
        default=None,
        help="instructor (or released) notebooks or their folder, whose check cells grade "
        "the submissions (default: notebooks/); may be given several times",
    )
    parser.add_argument("--out", default="grading", help="where to write the gradebook (default: grading)")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell (default: 120)")
    parser.add_argument(
        "--total-timeout",
        type=float,
        default=None,
        help="seconds per notebook (default: 10 x --timeout, at least 600)",
    )
    parser.add_argument(
        "--profile", default="smoke", help="CNNLESSONS_PROFILE for the graded runs (default: smoke)"
    )
    parser.add_argument(
        "--kernel", default="python3", help="Jupyter kernel to run them in (default: python3)"
    )
    parser.add_argument("--jobs", type=int, default=1, help="notebooks graded at a time (default: 1)")
    parser.add_argument(
        "--shard",
        metavar="K/N",
        default=None,
        help="grade only the K-th of N slices of the sorted submissions (join with "
        "`cnnlessons gradebook merge`)",
    )
    parser.add_argument(
        "--sandbox",
        default="auto",
        help="where each submission runs: auto (bubblewrap where it works, else none with a "
        "warning), bwrap, docker, podman, require (bubblewrap or refuse), off (default: auto)",
    )
    parser.add_argument(
        "--sandbox-image",
        default="cnnlessons",
        help="the image (the course installed) for --sandbox docker or podman (default: cnnlessons)",
    )
    again = parser.add_mutually_exclusive_group()
    again.add_argument(
        "--resume",
        action="store_true",
        help="go on with the gradebook in --out: skip submissions already graded the same way",
    )
    again.add_argument("--force", action="store_true", help="grade everything again into an existing --out")


def _grade(args: argparse.Namespace) -> int:
    from .instructor.grade import GradeError, grade, gradebook_markdown
    from .instructor.gradebook import GradebookError
    from .profiles import PROFILES

    if args.profile not in PROFILES:
        return _fail("grade", f"--profile must be one of {', '.join(PROFILES)}, got {args.profile!r}")
    if args.total_timeout is not None and args.total_timeout <= 0:
        return _fail("grade", f"--total-timeout must be > 0 seconds, got {args.total_timeout}")
    try:
        records = grade(
            args.submissions,
            args.out,
            instructor=args.instructor,
            timeout=args.timeout,
            total_timeout=args.total_timeout,
            profile=args.profile,
            kernel_name=args.kernel,
            progress=True,
            jobs=args.jobs,
            shard=args.shard,
            resume=args.resume,
            force=args.force,
            sandbox=args.sandbox,
            sandbox_image=args.sandbox_image,
        )
    except (GradeError, GradebookError) as error:
        return _fail("grade", error)
    print()
    print(gradebook_markdown(records), end="")
    print(
        f"\nwrote {args.out}/gradebook.csv, {args.out}/gradebook.md, {args.out}/feedback/ "
        f"and {args.out}/records/"
    )
    return 0


# --- gradebook -------------------------------------------------------------------------------


def _gradebook_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    merge = sub.add_parser("merge", help="join the --out folders of `grade --shard` runs into one gradebook")
    merge.add_argument("out", metavar="OUT", help="where to write the joined gradebook")
    merge.add_argument("shards", metavar="SHARD", nargs="+", help="the shards' --out folders")
    merge.add_argument("--force", action="store_true", help="replace a gradebook already in OUT")
    require = sub.add_parser(
        "require", help="exit 0 only if every graded submission passed EXERCISE (one autograding test)"
    )
    require.add_argument("out", metavar="GRADING", help="a grade --out folder")
    require.add_argument("exercise", metavar="EXERCISE", help="an exercise id")


def _gradebook(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .instructor import gradebook

    try:
        if args.action == "merge":
            out = Path(args.out)
            if (out / gradebook.RECORDS).exists() and not args.force:
                raise gradebook.GradebookError(
                    f"OUT '{out}' already holds a gradebook; pass --force to replace it"
                )
            if args.force:
                for path in list(out.glob("records/*.json")) + list(out.glob("feedback/*.md")):
                    path.unlink()
            records = gradebook.merge(out, args.shards)
            print(gradebook.gradebook_markdown(records), end="")
            print(f"\nmerged {len(records)} submissions from {len(args.shards)} shards into {out}/")
            return 0
        if not (Path(args.out) / gradebook.RECORDS).is_dir():
            raise gradebook.GradebookError(
                f"GRADING '{args.out}' holds no grading records; run `cnnlessons grade` first"
            )
        records = gradebook.read_records(args.out)
        found = [r.results[args.exercise] for r in records if args.exercise in r.results]
        if not found:
            raise gradebook.GradebookError(f"EXERCISE '{args.exercise}' was not graded in '{args.out}'")
        for record in records:
            result = record.results.get(args.exercise)
            if result is not None:
                print(
                    f"{record.name}: {args.exercise} {result.status}"
                    + (f": {result.details}" if result.details else "")
                )
        return 0 if all(r.status == "passed" for r in found) else 1
    except (gradebook.GradebookError, OSError) as error:
        return _fail("gradebook", error)


# --- reproduce and bench: their own argument parsers -----------------------------------------


def _forward_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("args", nargs=argparse.REMAINDER, help="its arguments (see --help after the command)")


def _registries() -> None:
    """Register every lesson's recipes, claims and checkers, and the shipped checkpoints' recipes."""
    from . import lessons  # noqa: F401
    from .runs import converged  # noqa: F401


def _reproduce(args: argparse.Namespace) -> int:
    from .runs.reproduce import main

    _registries()
    main(args.args)
    return 0


def _bench(args: argparse.Namespace) -> int:
    from .runs.bench import main

    _registries()
    main(args.args)
    return 0


# --- train -----------------------------------------------------------------------------------


def _train_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name",
        metavar="NAME",
        help="the checkpoint: resnet20, small_alexnet, small_vgg, small_googlenet, "
        "small_resnet or small_densenet",
    )
    parser.add_argument(
        "--data", required=True, help="a folder with cifar10-{train,test}.npz, or 'cifar10' to download"
    )
    parser.add_argument(
        "--resume", action="store_true", help="go on from the unfinished run kept under the data root"
    )
    parser.add_argument(
        "--precision",
        default=None,
        choices=("auto", "fp32", "bf16", "fp16"),
        help="default: bf16 on a CPU that computes it natively, else auto",
    )
    parser.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: CUDA when present)")
    parser.add_argument(
        "--data-name",
        default=None,
        help="what the --data copy is, in words, for the record (e.g. 'CIFAR-10, the JPEG re-encoding')",
    )
    parser.add_argument(
        "--out",
        default=None,
        help="where to write NAME.pt and NAME.json (default: cifar10_checkpoints/ under the data root)",
    )


def _train(args: argparse.Namespace) -> int:
    from .runs.checkpoints import run

    return run(args)


# --- checkpoints -----------------------------------------------------------------------------


def _checkpoints_arguments(parser: argparse.ArgumentParser) -> None:
    from .runs.errors import add_arguments

    add_arguments(parser)


def _checkpoints(args: argparse.Namespace) -> int:
    from .runs.errors import run

    return run(args)


def _prepare_run(args: argparse.Namespace) -> int:
    _registries()
    return _prepare.run(args)


# --- exercises -------------------------------------------------------------------------------


def _exercises_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ids", metavar="ID", nargs="*", help="describe only these exercises")


def _exercises(args: argparse.Namespace) -> int:
    from .exercises import EXERCISES, describe

    _registries()
    ids = args.ids or list(EXERCISES)
    unknown = [i for i in ids if i not in EXERCISES]
    if unknown:
        print(f"exercises: unknown id {unknown[0]!r}; the ids are {', '.join(EXERCISES)}", file=sys.stderr)
        return 2
    for exercise_id in ids:
        print(describe(exercise_id))
    return 0


COMMANDS: dict[str, Command] = {
    "release": Command(
        "write learner notebooks: solution regions replaced by a stub (or an nbgrader course)",
        _release_arguments,
        _release,
        intermixed=True,
    ),
    "grade": Command("run submitted notebooks and write a gradebook", _grade_arguments, _grade),
    "gradebook": Command(
        "join shards' gradebooks (merge), or test one exercise (require)", _gradebook_arguments, _gradebook
    ),
    "exercises": Command("list the exercises with their contracts", _exercises_arguments, _exercises),
    "reproduce": Command(
        "reproduce the lessons' experiments (python -m cnnlessons reproduce)", _forward_arguments, _reproduce
    ),
    "bench": Command(
        "benchmark the data path and training steps (python -m cnnlessons bench)", _forward_arguments, _bench
    ),
    "slides": Command(
        "build lecture slides (reveal.js, offline) from the stored notebooks",
        _slides.add_arguments,
        _slides.run,
    ),
    "prepare": Command(
        "train the lessons' runs into the disk cache before a lecture", _prepare.add_arguments, _prepare_run
    ),
    "train": Command(
        "train a shipped checkpoint again from its recipe (weights='cifar10')", _train_arguments, _train
    ),
    "checkpoints": Command(
        "add the test split's confusion matrix and most confident mistakes to checkpoints' records (errors)",
        _checkpoints_arguments,
        _checkpoints,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnlessons", description="The cnnlessons course tools.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, command in COMMANDS.items():
        command.add_arguments(sub.add_parser(name, help=command.help, description=command.help))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("reproduce", "bench"):  # their own parsers read every argument, --help too
        return COMMANDS[argv[0]].run(argparse.Namespace(command=argv[0], args=argv[1:]))
    command = COMMANDS.get(argv[0]) if argv else None
    if command is not None and command.intermixed:  # argparse mixes them only without sub-commands
        parser = argparse.ArgumentParser(prog=f"cnnlessons {argv[0]}", description=command.help)
        command.add_arguments(parser)
        return command.run(parser.parse_intermixed_args(argv[1:], argparse.Namespace(command=argv[0])))
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command].run(args)


if __name__ == "__main__":
    sys.exit(main())
