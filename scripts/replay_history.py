#!/usr/bin/env python3
"""Replay real histories through `accord diff` and check it against an independent reading.

For every consecutive commit pair of each git bundle (default: ../shared/history/*.bundle), run
`accord diff A..B --format json` and check that:

- it exits 0 or 1 (never crashes or errors);
- every object it reports modified/added/removed really differs: PyYAML reads both revisions
  (`git show`), and an object whose canonical JSON (sorted keys) is the same at A and B must not
  be reported — no spurious changes;
- every object that PyYAML sees differ is reported, unless the difference disappears when all
  lists are sorted too (a pure reorder, which accord rightly ignores for keyed lists and sets).

Prints per-bundle figures: pairs, object changes, findings introduced/fixed, time per diff.
Usage: replay_history.py ACCORD_BINARY [BUNDLE...]
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import yaml


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True).stdout


_CACHE = {}
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_blob(repo, oid):
    """The Kubernetes objects of one blob (cached by blob id: most files do not change)."""
    if oid in _CACHE:
        return _CACHE[oid]
    text = git(repo, "cat-file", "blob", oid).decode("utf-8", "replace")
    objs = []
    try:
        docs = list(yaml.load_all(text, Loader=_LOADER))
    except yaml.YAMLError:
        docs = []
    stack = [d for d in docs if isinstance(d, dict)]
    while stack:
        d = stack.pop()
        kind, api = d.get("kind"), d.get("apiVersion")
        if not isinstance(kind, str) or not isinstance(api, str):
            continue
        if api.startswith("kustomize.config.k8s.io/"):
            # A kustomization is build instructions, not an object: accord renders it, and its
            # changes show on the rendered objects (which are the loose ones here when the
            # kustomization only lists resources).
            continue
        if kind.endswith("List") and isinstance(d.get("items"), list):
            stack.extend(i for i in d["items"] if isinstance(i, dict))
            continue
        meta = d.get("metadata") or {}
        group = api.rsplit("/", 1)[0] if "/" in api else ""
        name = meta.get("name") or meta.get("generateName") or ""
        ns = meta.get("namespace") or ""
        objs.append((f"{group}/{kind}/{ns}/{name}", canon(d), canon(sort_lists(d))))
    _CACHE[oid] = objs
    return objs


def load_objects(repo, rev):
    """identity -> list of (canonical JSON, canonical JSON with sorted lists) at `rev`."""
    out = {}
    for line in git(repo, "ls-tree", "-r", rev).decode().splitlines():
        meta, path = line.split("\t", 1)
        _, kind, oid = meta.split()
        if kind != "blob" or not path.lower().endswith((".yaml", ".yml", ".json")):
            continue
        for ident, c, sc in parse_blob(repo, oid):
            out.setdefault(ident, []).append((c, sc))
    return out


def canon(v):
    return json.dumps(v, sort_keys=True, default=str)


def sort_lists(v):
    if isinstance(v, dict):
        return {k: sort_lists(x) for k, x in v.items()}
    if isinstance(v, list):
        return sorted((sort_lists(x) for x in v), key=canon)
    return v


def identity(o):
    obj = o["object"]
    api = obj["apiVersion"]
    group = api.rsplit("/", 1)[0] if "/" in api else ""
    return f"{group}/{obj['kind']}/{obj.get('namespace', '')}/{obj.get('name', '')}"


def replay(accord, bundle):
    tmp = tempfile.mkdtemp(prefix="replay-")
    repo = os.path.join(tmp, "r")
    subprocess.run(["git", "clone", "-q", bundle, repo], check=True, capture_output=True)
    revs = git(repo, "rev-list", "--reverse", "HEAD").decode().split()
    stats = {"pairs": 0, "changes": 0, "fields": 0, "introduced": 0, "fixed": 0, "unchanged": 0, "times": [], "problems": []}
    prev_objs = load_objects(repo, revs[0])
    for a, b in zip(revs, revs[1:]):
        t0 = time.monotonic()
        p = subprocess.run([accord, "diff", f"{a}..{b}", "--format", "json"], cwd=repo, capture_output=True)
        stats["times"].append(time.monotonic() - t0)
        stats["pairs"] += 1
        if p.returncode not in (0, 1):
            stats["problems"].append(f"{a[:8]}..{b[:8]}: exit {p.returncode}: {p.stderr.decode()[:300]}")
            prev_objs = load_objects(repo, b)
            continue
        r = json.loads(p.stdout)
        objs = load_objects(repo, b)
        reported = {}
        for o in r["objects"]:
            stats["changes"] += 1
            stats["fields"] += len(o["fields"])
            reported.setdefault(identity(o), []).append(o)
            if o["change"] == "renamed" and o.get("old"):
                reported.setdefault(identity({"object": o["old"]["object"]}), []).append(o)
        for k in ("introduced", "fixed", "unchanged"):
            stats[k] += len(r["findings"][k])
        for ident in sorted(set(prev_objs) | set(objs)):
            before = sorted(c for c, _ in prev_objs.get(ident, []))
            after = sorted(c for c, _ in objs.get(ident, []))
            differs = before != after
            if ident in reported and not differs:
                kinds = {o["change"] for o in reported[ident]}
                if kinds - {"moved"}:
                    stats["problems"].append(f"{a[:8]}..{b[:8]}: spurious {sorted(kinds)} of {ident}")
            if differs and ident not in reported:
                sb = sorted(sc for _, sc in prev_objs.get(ident, []))
                sa = sorted(sc for _, sc in objs.get(ident, []))
                if sb != sa:
                    stats["problems"].append(f"{a[:8]}..{b[:8]}: missed change of {ident}")
        prev_objs = objs
    return stats


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    accord = os.path.abspath(sys.argv[1])
    here = os.path.dirname(os.path.abspath(__file__))
    bundles = sys.argv[2:] or sorted(
        os.path.join(d, f)
        for d in [os.path.join(here, "../../shared/history"), "/work/shared/history"]
        if os.path.isdir(d)
        for f in os.listdir(d)
        if f.endswith(".bundle")
    )
    seen, failed = set(), False
    for b in bundles:
        if os.path.basename(b) in seen:
            continue
        seen.add(os.path.basename(b))
        s = replay(accord, b)
        times = sorted(s["times"])
        med = times[len(times) // 2] if times else 0
        print(
            f"{os.path.basename(b)}: {s['pairs']} pairs, {s['changes']} object changes ({s['fields']} field changes), "
            f"findings introduced {s['introduced']}, fixed {s['fixed']}, pre-existing {s['unchanged']}; "
            f"diff time median {med * 1000:.0f} ms, max {max(times, default=0) * 1000:.0f} ms; problems: {len(s['problems'])}"
        )
        for p in s["problems"][:50]:
            print("  " + p)
        failed |= bool(s["problems"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
