"""Writes the CLI reference (docs/reference/cli.md) from the argparse parser itself, so it cannot drift:
`python docs/cli_reference.py > docs/reference/cli.md` (`make docs` does it; a test fails when it is stale)."""

from __future__ import annotations

import argparse

from vidsearch.cli import build_parser

WIDTH = 110  # help text wrapped the same on every terminal


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, str, argparse.ArgumentParser]]:
    """(name, one-line help, parser) of each subcommand, in the order `--help` lists them."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            found += [(name, helps.get(name) or "", sub) for name, sub in action.choices.items()]
    return found


def _help(parser: argparse.ArgumentParser) -> str:
    parser.formatter_class = lambda prog: argparse.HelpFormatter(prog, width=WIDTH)
    return parser.format_help().rstrip()


def render() -> str:
    parser = build_parser()
    out = ["# CLI reference", "",
           "Generated from the parser by `docs/cli_reference.py` (`make docs`); every command also answers `--help`.",
           "Options before the command (`--db`, `--collection`, ...) apply to every command.", "",
           "```text", _help(parser), "```", ""]
    stack = [("vidsearch", parser)]
    while stack:
        prefix, current = stack.pop(0)
        for name, summary, sub in _subcommands(current):
            out += [f"## {prefix} {name}", "", summary[:1].upper() + summary[1:] + ".", "", "```text", _help(sub), "```", ""]
            stack.append((f"{prefix} {name}", sub))
    return "\n".join(out)


if __name__ == "__main__":
    print(render(), end="")
