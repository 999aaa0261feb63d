#!/usr/bin/env python3
"""Measure the built-in rule library against other linters' own test fixtures.

Issue 5 asks that, run against kube-linter's, Polaris's and kube-score's own test fixtures, the
library flags their failing cases with recall >= 0.95 and their passing cases at most 2 % of the
time. This script computes those figures. It fetches nothing and contains no fixture content:
you provide a directory of fixtures laid out like this (each tool's folder is optional):

    DIR/polaris/<checkID>/failure*.yaml      one failing case per file (upstream test/checks layout;
    DIR/polaris/<checkID>/success*.yaml      mutated*.yaml and other files are ignored)
    DIR/kube-score/<checkID>/failure*.yaml   same layout; kube-score keeps its expectations in Go
    DIR/kube-score/<checkID>/success*.yaml   tests, so sort its testdata files by hand
    DIR/kube-linter/<checkID>.yml            upstream tests/checks files: several objects per file;
                                             an object whose metadata.name contains "dont-fire"
                                             or "no-fire" is a passing case, any other object
                                             (including ones a check only reads, such as
                                             Services for dangling checks) is a failing case
                                             unless listed in DIR/kube-linter/labels.json as
                                             {"<checkID>": {"pass": ["Kind/name", ...],
                                                            "fail": [...], "ignore": [...]}}
                                             (an entry "#N" names the file's N-th object)

Each upstream check maps to the accord rules that list `<tool>/<checkID>` in their `aliases:`
(read from `accord rules --all --format json`). A failing case counts as found when any mapped
rule reports a finding on it; a passing case counts as flagged when any mapped rule does.
Every mapped rule runs with a config selecting `preset: all`, without schema validation.

Usage:
    scripts/upstream_fixtures.py --accord target/release/accord --fixtures DIR [--verbose]
        [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

TOOLS = ("kube-linter", "polaris", "kube-score")


def rule_aliases(accord: str, config: str) -> dict[str, list[str]]:
    """Map `tool/check` to the accord rule ids aliasing it."""
    out = subprocess.run(
        [accord, "rules", "--all", "--format", "json", "--config", config],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    data = json.loads(out)
    rules = data["rules"] if isinstance(data, dict) else data
    table: dict[str, list[str]] = defaultdict(list)
    for rule in rules:
        for alias in rule.get("aliases") or []:
            table[alias].append(rule["id"])
    return table


def lint(accord: str, config: str, rules: list[str], path: Path) -> list[dict]:
    """Findings of `rules` on one file (system findings such as parse errors are dropped)."""
    cmd = [accord, "lint", "--config", config, "--no-schemas", "--format", "json"]
    for rule in rules:
        cmd += ["--rule", rule]
    cmd.append(str(path))
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        sys.stderr.write(f"accord failed on {path} (exit {proc.returncode}): {proc.stderr}\n")
        return []
    report = json.loads(proc.stdout)
    return [f for f in report["findings"] if f["rule"] in rules]


DOC_SPLIT = re.compile(r"^---[ \t]*(?:#.*)?$", re.M)
NAME = re.compile(r"^metadata:\s*$(?:\n(?:[ \t].*|\s*))*?\n[ \t]+name:\s*['\"]?([^'\"\s#]+)", re.M)
KIND = re.compile(r"^kind:\s*['\"]?([A-Za-z0-9]+)", re.M)


def documents(text: str) -> list[tuple[int, int, str, str]]:
    """(first line, last line, kind, name) of each non-empty YAML document, 1-based lines."""
    docs = []
    line = 1
    pos = 0
    bounds = [m for m in DOC_SPLIT.finditer(text)] + [None]
    for m in bounds:
        end = m.start() if m else len(text)
        chunk = text[pos:end]
        n_lines = chunk.count("\n")
        kind = KIND.search(chunk)
        name = NAME.search(chunk)
        if kind:
            docs.append((line, line + n_lines, kind.group(1), name.group(1) if name else ""))
        if m:
            line += n_lines + text[m.start() : m.end()].count("\n")
            pos = m.end()
    return docs


class Tally:
    """Counts for one upstream check."""

    def __init__(self) -> None:
        self.fail_total = 0
        self.fail_found = 0
        self.pass_total = 0
        self.pass_flagged = 0
        self.misses: list[str] = []
        self.false_flags: list[str] = []

    def add(self, case: str, failing: bool, flagged: bool) -> None:
        if failing:
            self.fail_total += 1
            self.fail_found += flagged
            if not flagged:
                self.misses.append(case)
        else:
            self.pass_total += 1
            self.pass_flagged += flagged
            if flagged:
                self.false_flags.append(case)


def measure_files(accord, config, aliases, tool_dir: Path, tool: str, results):
    for check_dir in sorted(p for p in tool_dir.iterdir() if p.is_dir()):
        rules = aliases.get(f"{tool}/{check_dir.name}")
        if not rules:
            results["unmapped"].add(f"{tool}/{check_dir.name}")
            continue
        tally = results[tool].setdefault(check_dir.name, Tally())
        for f in sorted(check_dir.iterdir()):
            if not f.name.endswith((".yaml", ".yml")):
                continue
            if f.name.startswith("failure"):
                failing = True
            elif f.name.startswith("success"):
                failing = False
            else:
                continue
            flagged = bool(lint(accord, config, rules, f))
            tally.add(f"{check_dir.name}/{f.name}", failing, flagged)


def measure_kube_linter(accord, config, aliases, tool_dir: Path, results):
    labels_path = tool_dir / "labels.json"
    labels = json.loads(labels_path.read_text()) if labels_path.exists() else {}
    for f in sorted(tool_dir.iterdir()):
        if not f.name.endswith((".yaml", ".yml")):
            continue
        check = f.name.rsplit(".", 1)[0]
        rules = aliases.get(f"kube-linter/{check}")
        if not rules:
            results["unmapped"].add(f"kube-linter/{check}")
            continue
        tally = results["kube-linter"].setdefault(check, Tally())
        own = labels.get(check, {})
        findings = lint(accord, config, rules, f)
        flagged_lines = [x["line"] for x in findings]
        for index, (first, last, kind, name) in enumerate(documents(f.read_text()), 1):
            key = f"{kind}/{name}"
            keys = {key, f"#{index}"}
            if keys & set(own.get("ignore", [])):
                continue
            if keys & set(own.get("pass", [])):
                failing = False
            elif keys & set(own.get("fail", [])):
                failing = True
            else:
                failing = not ("dont-fire" in name or "no-fire" in name)
            flagged = any(first <= ln <= last for ln in flagged_lines)
            tally.add(f"{f.name}:{first} {key}", failing, flagged)


def ratio(num: int, den: int) -> str:
    return f"{num / den:.3f}" if den else "  -  "


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--accord", required=True, help="path to the accord binary")
    ap.add_argument("--fixtures", required=True, type=Path, help="fixture directory (see above)")
    ap.add_argument("--verbose", action="store_true", help="list every miss and false flag")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "accord.yaml")
        Path(config).write_text("preset: all\n")
        aliases = rule_aliases(args.accord, config)
        results: dict = {tool: {} for tool in TOOLS}
        results["unmapped"] = set()
        for tool in ("polaris", "kube-score"):
            d = args.fixtures / tool
            if d.is_dir():
                measure_files(args.accord, config, aliases, d, tool, results)
        d = args.fixtures / "kube-linter"
        if d.is_dir():
            measure_kube_linter(args.accord, config, aliases, d, results)

    summary = {}
    total = Tally()
    print(f"{'tool':<12} {'check':<48} {'fail':>5} {'recall':>7} {'pass':>5} {'flag%':>6}")
    for tool in TOOLS:
        t_all = Tally()
        for check, t in sorted(results[tool].items()):
            print(
                f"{tool:<12} {check:<48} {t.fail_total:>5} {ratio(t.fail_found, t.fail_total):>7}"
                f" {t.pass_total:>5} {ratio(t.pass_flagged, t.pass_total):>6}"
            )
            if args.verbose:
                for m in t.misses:
                    print(f"    missed failing case: {m}")
                for m in t.false_flags:
                    print(f"    flagged passing case: {m}")
            for attr in ("fail_total", "fail_found", "pass_total", "pass_flagged"):
                setattr(t_all, attr, getattr(t_all, attr) + getattr(t, attr))
        for attr in ("fail_total", "fail_found", "pass_total", "pass_flagged"):
            setattr(total, attr, getattr(total, attr) + getattr(t_all, attr))
        summary[tool] = {
            "checks": len(results[tool]),
            "failing_cases": t_all.fail_total,
            "recall": t_all.fail_found / t_all.fail_total if t_all.fail_total else None,
            "passing_cases": t_all.pass_total,
            "flag_rate": t_all.pass_flagged / t_all.pass_total if t_all.pass_total else None,
        }
    print()
    for tool in TOOLS:
        s = summary[tool]
        if s["checks"]:
            print(
                f"{tool:<12} checks {s['checks']:>3}  failing {s['failing_cases']:>4}"
                f" recall {ratio(round((s['recall'] or 0) * s['failing_cases']), s['failing_cases'])}"
                f"  passing {s['passing_cases']:>4}"
                f" flag rate {ratio(round((s['flag_rate'] or 0) * s['passing_cases']), s['passing_cases'])}"
            )
    print(
        f"{'overall':<12} failing {total.fail_total:>4} recall {ratio(total.fail_found, total.fail_total)}"
        f"  passing {total.pass_total:>4} flag rate {ratio(total.pass_flagged, total.pass_total)}"
    )
    if results["unmapped"]:
        print("no accord rule aliases: " + ", ".join(sorted(results["unmapped"])))
    if args.json:
        summary["overall"] = {
            "failing_cases": total.fail_total,
            "recall": total.fail_found / total.fail_total if total.fail_total else None,
            "passing_cases": total.pass_total,
            "flag_rate": total.pass_flagged / total.pass_total if total.pass_total else None,
        }
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
