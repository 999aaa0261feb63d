#!/usr/bin/env python3
"""Run the accord benchmark and write the results table (called by bench/run.sh).

Everything is measured in one run, on one machine, side by side:
- corpora: the real one (shared/corpus, when present) and synthetic ones from gen_corpus.py;
- accord: full lint, rules only, schema only, diff of a 10-file change, single-file lint;
- the limit: bare YAML parsing of the same files by the same parser (examples/parse_bench.rs);
- peers: checkov, kubernetes-validate, yamllint on the same files, findings counted.

Wall times come from hyperfine (median of --runs runs); peak RSS and findings from a separate
run under /usr/bin/time -v. Slow peers are capped by a time budget (see --peer-budget).
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
NA_NOT_BUILT = "n/a (not built yet)"


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def sh(cmd, cwd=None, timeout=None):
    """Run a shell command, return (rc, stdout, stderr, wall seconds)."""
    t = time.monotonic()
    try:
        p = subprocess.run(["bash", "-c", cmd], cwd=cwd, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr, time.monotonic() - t
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return None, out, "timeout", time.monotonic() - t


def measured(cmd, cwd, timeout=None):
    """One run under /usr/bin/time -v: (rc, stdout, stderr, wall s, peak RSS bytes)."""
    tf = os.path.join(ARGS.work, "time.txt")
    full = f"/usr/bin/time -v -o {shlex.quote(tf)} bash -c {shlex.quote(cmd)}"
    rc, out, err, wall = sh(full, cwd=cwd, timeout=timeout)
    rss = cpu = None
    if rc is not None and os.path.exists(tf):
        t = open(tf).read()
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", t)
        if m:
            rss = int(m.group(1)) * 1024
        u = re.search(r"User time \(seconds\): ([\d.]+)", t)
        k = re.search(r"System time \(seconds\): ([\d.]+)", t)
        if u and k:
            cpu = float(u.group(1)) + float(k.group(1))
    return rc, out, err, wall, rss, cpu


def hyperfine(cmd, cwd, runs, warmup):
    """Median wall time of `runs` runs (hyperfine), plus min and max."""
    out = os.path.join(ARGS.work, "hf.json")
    hf = (f"hyperfine --style none -i --runs {runs} --warmup {warmup} --export-json {shlex.quote(out)} "
          f"{shlex.quote(cmd)}")
    rc, _, err, _ = sh(hf, cwd=cwd)
    if rc != 0:
        raise RuntimeError(f"hyperfine failed: {err.strip()[:300]}")
    r = json.load(open(out))["results"][0]
    return {"median": r["median"], "min": r["min"], "max": r["max"], "runs": len(r["times"])}


# ---------------------------------------------------------------------------------------------
# Corpora


class Corpus:
    def __init__(self, name, path, label):
        self.name = name
        self.path = path
        self.label = label
        self.files = []
        self.bytes = 0
        self.objects = None
        self.list_file = None
        # (lint median, parse median, rounds) from runs alternating the two (see `alternate`).
        self.paired = None

    def scan(self):
        """The files accord reads (.yaml/.yml/.json outside .git), sorted, relative paths."""
        found = []
        for root, dirs, names in os.walk(self.path):
            dirs[:] = [d for d in dirs if d != ".git"]
            for n in names:
                if n.lower().endswith((".yaml", ".yml", ".json")):
                    full = os.path.join(root, n)
                    found.append(os.path.relpath(full, self.path))
        found.sort()
        self.files = found
        self.bytes = sum(os.path.getsize(os.path.join(self.path, f)) for f in found)
        self.list_file = os.path.join(ARGS.work, f"files-{self.name}.txt")
        with open(self.list_file, "w") as f:
            f.write("\n".join(found) + "\n")


def find_real_corpus():
    if ARGS.corpus:
        return ARGS.corpus if os.path.isdir(ARGS.corpus) else None
    for c in [os.path.join(REPO, "..", "shared", "corpus"), os.path.join(REPO, "..", "..", "shared", "corpus")]:
        if os.path.isdir(c):
            return os.path.realpath(c)
    return None


def make_corpora():
    out = []
    sizes = {"1k": 1000, "10k": 10000, "100k": 100000}
    wanted = ARGS.corpora.split(",")
    if "real" in wanted:
        real = find_real_corpus()
        if real:
            out.append(Corpus("real", real, "shared/corpus (real repositories)"))
        else:
            log("no shared/corpus found: real corpus skipped")
    for name in ["1k", "10k", "100k"]:
        if name not in wanted:
            continue
        path = os.path.join(ARGS.work, "corpora", f"synthetic-{name}")
        stamp = os.path.join(ARGS.work, "corpora", f"synthetic-{name}.stamp")
        key = f"{sizes[name]} {ARGS.seed} {hash_file(os.path.join(HERE, 'gen_corpus.py'))}"
        if not (os.path.isdir(path) and os.path.exists(stamp) and open(stamp).read() == key):
            log(f"generating synthetic {name} corpus")
            git = ["--git"] if name == "10k" else []
            subprocess.run([sys.executable, os.path.join(HERE, "gen_corpus.py"), path, "--objects", str(sizes[name]),
                            "--seed", str(ARGS.seed), *git], check=True, stdout=subprocess.DEVNULL)
            with open(stamp, "w") as f:
                f.write(key)
        out.append(Corpus(name, path, f"synthetic, {sizes[name]} objects (seed {ARGS.seed})"))
    for c in out:
        c.scan()
    return out


def hash_file(p):
    import hashlib
    return hashlib.sha256(open(p, "rb").read()).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# accord feature probes


class Features:
    def __init__(self, accord):
        self.accord = accord
        self.lint_help = sh(f"{accord} lint --help")[1]
        rc, out, err, _ = sh(f"{accord} diff --help")
        self.diff_help = out if rc == 0 else None
        rc, out, err, _ = sh(f"{accord} review --help")
        self.review_help = out if rc == 0 else None
        self.no_schemas = self.flag(self.lint_help, ["--no-schemas", "--no-schema", "--skip-schemas"])
        self.schema_only = self.flag(self.lint_help, ["--schemas-only", "--schema-only", "--only-schemas"])

    @staticmethod
    def flag(help_text, names):
        for n in names:
            if re.search(re.escape(n) + r"\b", help_text or ""):
                return n
        return None

    def has_schemas(self):
        """Schema validation is detected by its on/off flags (`--kubernetes-version` alone also
        selects rule versions, so it proves nothing)."""
        return bool(self.no_schemas or self.schema_only or re.search(r"--(no-)?schemas?\b", self.lint_help))

    def lint_cmd(self, mode, target):
        """Argument string for `accord lint` in `mode`, or None when the feature is not built."""
        env = {"full": "ACCORD_BENCH_FULL_ARGS", "rules": "ACCORD_BENCH_RULES_ARGS", "schema": "ACCORD_BENCH_SCHEMA_ARGS"}[mode]
        if os.environ.get(env) is not None:
            return f"{self.accord} lint --format json {os.environ[env]} {target}"
        if mode == "full":
            return f"{self.accord} lint --format json {target}"
        if mode == "rules":
            return f"{self.accord} lint --format json {self.no_schemas} {target}" if self.no_schemas else None
        if mode == "schema":
            if self.schema_only:
                return f"{self.accord} lint --format json {self.schema_only} {target}"
            if self.has_schemas():
                return f"{self.accord} lint --format json --no-builtin {target}"
        return None

    def diff_lints(self):
        """Does `accord diff` itself lint the change (finding delta)?"""
        return self.diff_help is not None and re.search(r"introduced|finding", self.diff_help) is not None

    def diff_cmd(self):
        """The object diff alone (rules off when `diff` lints too)."""
        if os.environ.get("ACCORD_BENCH_DIFF_ARGS") is not None:
            return f"{self.accord} diff {os.environ['ACCORD_BENCH_DIFF_ARGS']}"
        if self.diff_help is None:
            return None
        fmt = " --format json" if "--format" in self.diff_help else ""
        off = " --no-builtin" if self.diff_lints() and "--no-builtin" in self.diff_help else ""
        return f"{self.accord} diff{fmt}{off} {self.rev_args(self.diff_help)}"

    def review_cmd(self):
        """`diff` + lint of the changed objects: `accord diff` when it reports the finding delta,
        else `accord review`, else `lint` with a base revision."""
        if os.environ.get("ACCORD_BENCH_REVIEW_ARGS") is not None:
            return f"{self.accord} {os.environ['ACCORD_BENCH_REVIEW_ARGS']}"
        if self.diff_lints():
            fmt = " --format json" if "--format" in self.diff_help else ""
            return f"{self.accord} diff{fmt} {self.rev_args(self.diff_help)}"
        if self.review_help is not None:
            fmt = " --format json" if "--format" in self.review_help else ""
            return f"{self.accord} review{fmt} {self.rev_args(self.review_help)}"
        for f in ["--base", "--since", "--changed-since", "--diff-base"]:
            if re.search(re.escape(f) + r"\b", self.lint_help):
                return f"{self.accord} lint --format json {f} HEAD~1 ."
        return None

    @staticmethod
    def rev_args(help_text):
        if re.search(r"BASE\.\.HEAD", help_text):
            return "HEAD~1..HEAD"
        if re.search(r"--base\b", help_text):
            return "--base HEAD~1" + (" --head HEAD" if re.search(r"--head\b", help_text) else "")
        return "HEAD~1 HEAD"


# ---------------------------------------------------------------------------------------------
# Rows


class Row:
    def __init__(self, group, tool, corpus, cmd, cwd, objects=None):
        self.group = group
        self.tool = tool
        self.corpus = corpus
        self.cmd = cmd
        self.cwd = cwd
        self.objects = objects
        self.status = None  # None = measured; otherwise the reason it was not
        self.median = self.min = self.max = None
        self.runs = 0
        self.rss = None
        self.findings = None
        self.note = ""
        self.first_wall = None
        self.bytes = None
        self.cpu = None  # user + system seconds of the count run (all threads)


def count_accord(out):
    try:
        d = json.loads(out)
    except json.JSONDecodeError:
        return None, None
    s = d.get("summary", {})
    return s.get("findings"), s.get("objects")


def count_diff(row, out, err):
    """Findings of a diff report: introduced / pre-existing / fixed, when it has them."""
    try:
        sm = json.loads(out).get("summary", {})
    except (json.JSONDecodeError, AttributeError):
        return
    if "introduced" in sm:
        row.findings = f"{sm.get('introduced')} new, {sm.get('unchanged')} old, {sm.get('fixed')} fixed"
    if sm.get("modified") is not None:
        row.note += f"; {sm.get('modified')} objects modified"


def count_checkov(out):
    try:
        d = json.loads(out)
    except json.JSONDecodeError:
        return None
    d = d if isinstance(d, list) else [d]
    failed = sum(r.get("summary", {}).get("failed", 0) for r in d if isinstance(r, dict))
    perr = sum(r.get("summary", {}).get("parsing_errors", 0) for r in d if isinstance(r, dict))
    return failed, perr


def lines(out):
    return sum(1 for l in out.splitlines() if l.strip())


def run_row(row, runs, warmup, counter, timeout=None):
    """Count run (RSS + findings) then hyperfine; fills `row`."""
    if row.cmd is None:
        row.status = row.status or NA_NOT_BUILT
        return row
    log(f"{row.tool} on {row.corpus.name if row.corpus else '-'}: {row.cmd}")
    rc, out, err, wall, rss, cpu = measured(row.cmd, row.cwd, timeout=timeout)
    row.first_wall = wall
    row.cpu = cpu
    if rc is None:
        row.status = f"skipped: over the {timeout:.0f} s budget"
        return row
    # Linters exit 1 on findings; xargs turns a child's 1–125 into 123; accord exits 2 when some
    # input could not be read, and still reports the rest (its JSON summary counts them).
    ok = rc in (0, 1) or (rc == 123 and row.cmd.startswith("xargs "))
    ok = ok or (rc == 2 and row.group != "peer" and count_accord(out)[0] is not None)
    if not ok:
        first = (err.strip().splitlines() or ["?"])[-1][:120]
        row.status = f"n/a (failed, exit {rc}: {first})"
        return row
    row.rss = rss
    counter(row, out, err)
    if runs <= 1:
        row.median = row.min = row.max = wall
        row.runs = 1
        return row
    r = hyperfine(row.cmd, row.cwd, runs, warmup)
    row.median, row.min, row.max, row.runs = r["median"], r["min"], r["max"], r["runs"]
    return row


def alternate(cmds, cwd, rounds):
    """Median wall time of each of `cmds`, run in turn `rounds` times (after one warm-up round):
    A, B, A, B… so that a drift in the machine's speed (other tenants, frequency, page cache)
    weighs on every command alike, which separate hyperfine rows, minutes apart, do not."""
    times = [[] for _ in cmds]
    for r in range(rounds + 1):
        for i, cmd in enumerate(cmds):
            t = time.perf_counter()
            subprocess.run(["bash", "-c", cmd], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if r > 0:
                times[i].append(time.perf_counter() - t)
    return [statistics.median(t) for t in times]


def accord_counter(row, out, err):
    row.findings, objs = count_accord(out)
    if objs is not None and row.corpus is not None and row.corpus.objects is None and row.tool.startswith("accord lint (full"):
        row.corpus.objects = objs


def peer_runs(first_wall):
    """How many timed runs a peer gets, from the duration of its count run."""
    if ARGS.full_peers or first_wall < ARGS.slow:
        return ARGS.runs
    if first_wall < 4 * ARGS.slow:
        return 3
    return 1


# ---------------------------------------------------------------------------------------------
# Report


def fmt_t(s):
    if s is None:
        return ""
    if s < 0.01:
        return f"{s * 1000:.1f} ms"
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def fmt_rate(n, s):
    if n is None or not s:
        return ""
    v = n / s
    return f"{v:,.0f}" if v >= 100 else f"{v:,.1f}" if v >= 1 else f"{v:.3f}"


def fmt_mb(b):
    return "" if b is None else f"{b / 1e6:,.0f} MB" if b >= 1e7 else f"{b / 1e6:,.1f} MB"


def machine():
    cpu = ""
    try:
        for l in open("/proc/cpuinfo"):
            if l.startswith("model name"):
                cpu = l.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for l in open("/proc/meminfo"):
            if l.startswith("MemTotal"):
                mem = f"{int(l.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {"uname": " ".join(platform.uname()), "cpu": cpu, "cores": os.cpu_count(), "ram": mem,
            "load": open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else []}


def version(cmd):
    rc, out, err, _ = sh(cmd)
    text = (out or err).strip().splitlines()
    return text[0] if text else "?"


def ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


def fmt_ratio(x, suffix="×"):
    if x is None:
        return "n/a"
    return f"{x:,.0f}{suffix}" if x >= 100 else f"{x:,.1f}{suffix}" if x >= 10 else f"{x:.2f}{suffix}"


def report(corpora, rows, feats, started, load_start, versions):
    m = machine()
    by = {(r.tool, r.corpus.name if r.corpus else None): r for r in rows}
    L = []
    L.append("# accord benchmark results\n")
    L.append(f"Generated by `bench/run.sh{(' ' + ARGS.cmdline) if ARGS.cmdline else ''}` on "
             f"{started.strftime('%Y-%m-%d %H:%M UTC')}; took {fmt_t(time.time() - started.timestamp())}. "
             "See bench/README.md for what each row means.\n")
    L.append("## Machine\n")
    L.append(f"- `{m['uname']}`")
    L.append(f"- CPU: {m['cpu']}, {m['cores']} cores; RAM {m['ram']}")
    L.append(f"- load average at start: {' '.join(load_start)}; at end: {' '.join(m['load'])} "
             "(anything well above 0 means other work shared the cores: figures are noisy)")
    for k, v in versions.items():
        L.append(f"- {k}: `{v}`")
    L.append("")
    L.append("## Corpora\n")
    L.append("| corpus | what | files | objects | bytes |")
    L.append("|---|---|---:|---:|---:|")
    for c in corpora:
        L.append(f"| {c.name} | {c.label} | {len(c.files):,} | {c.objects if c.objects is not None else '?':,} | {fmt_mb(c.bytes)} |")
    L.append("")
    L.append("## Measurements\n")
    L.append(f"Wall time is the median of the runs shown (hyperfine, {ARGS.warmup} warm-up run for accord rows); "
             "peak RSS, CPU time (user + system, all threads) and findings come from one extra run under "
             "`/usr/bin/time -v` — CPU time is the figure least disturbed by other load on the machine. Rates divide the "
             "corpus's files, objects (as counted by accord) and bytes by the median. A peer whose count run "
             f"took over {ARGS.slow:.0f} s gets 3 timed runs, over {4 * ARGS.slow:.0f} s only that one run; a peer "
             f"predicted or seen to take over {ARGS.peer_budget:.0f} s on a corpus is not run on it or on larger ones.\n")
    L.append("| corpus | tool / mode | median wall | runs | files/s | objects/s | MB/s | CPU time | peak RSS | findings | note |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        c = r.corpus
        cname = c.name if c else "-"
        if r.status:
            L.append(f"| {cname} | {r.tool} | {r.status} | | | | | | | | {r.note} |")
            continue
        nfiles = len(c.files) if c else None
        nobj = r.objects if r.objects is not None else (c.objects if c else None)
        nbytes = c.bytes if c else None
        if r.group == "single":
            nfiles, nobj, nbytes = 1, r.objects, r.bytes
        rng = f" ({fmt_t(r.min)}–{fmt_t(r.max)})" if r.runs > 1 else ""
        L.append(f"| {cname} | {r.tool} | {fmt_t(r.median)}{rng} | {r.runs} | {fmt_rate(nfiles, r.median)} | "
                 f"{fmt_rate(nobj, r.median)} | {fmt_rate(nbytes / 1e6 if nbytes else None, r.median)} | {'< 10 ms' if r.cpu == 0 else fmt_t(r.cpu)} | {fmt_mb(r.rss)} | "
                 f"{'' if r.findings is None else r.findings} | {r.note} |")
    L.append("")

    # Ratios.
    L.append("## Ratios (same run, same machine)\n")
    L.append("Speed-up = peer median ÷ accord median on the same corpus (higher is better for accord). "
             "Lint/parse = lint throughput as a fraction of bare-parse throughput (parse median ÷ lint median): "
             "from the two rows above, and from runs alternating the two commands (lint, parse, lint, parse…, "
             "the same number of rounds), which a drift in the machine's speed between rows cannot skew. "
             "The memory goal applies to the 100k corpus; on small corpora the process's fixed footprint dominates.\n")
    L.append("| corpus | full lint vs checkov (goal ≥ 100×) | schema-only vs kubernetes-validate (goal ≥ 10×) | full lint vs kubernetes-validate | full lint vs yamllint | full lint / parse throughput (goal ≥ 50 %): alternating runs | same, from the rows | same, on CPU time | peak RSS / input bytes (goal ≤ 3×) |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in corpora:
        g = lambda t: by.get((t, c.name))
        full = g("accord lint (full)")
        med = lambda r: r.median if r and not r.status else None
        schema = g("accord lint (schema only)")
        ck, kv, yl, parse = g("checkov"), g("kubernetes-validate"), g("yamllint"), g("bare parse (limit)")
        frac = ratio(med(parse), med(full))
        cpu_frac = ratio(parse.cpu, full.cpu) if parse and full and not parse.status and not full.status else None
        mem = ratio(full.rss, c.bytes) if full and full.rss and not full.status else None
        L.append(f"| {c.name} | {fmt_ratio(ratio(med(ck), med(full)))} | {fmt_ratio(ratio(med(kv), med(schema)))} | "
                 f"{fmt_ratio(ratio(med(kv), med(full)))} | {fmt_ratio(ratio(med(yl), med(full)))} | "
                 f"{'n/a' if c.paired is None else f'{c.paired[1] / c.paired[0] * 100:.0f} %'} | "
                 f"{'n/a' if frac is None else f'{frac * 100:.0f} %'} | "
                 f"{'n/a' if cpu_frac is None else f'{cpu_frac * 100:.0f} %'} | {fmt_ratio(mem)} |")
    L.append("")

    # Scaling.
    names = [c.name for c in corpora]
    if "1k" in names and ("100k" in names or "10k" in names):
        L.append("## Scaling\n")
        L.append("Exponent k in t ∝ n^k between two synthetic corpora: log(t_big / t_small) / log(n_big / n_small). "
                 "1 is linear; below 1 means fixed start-up cost still weighs at the small end; above 1 is "
                 "super-linear (bad).\n")
        pairs = [(a, b) for a, b in [("1k", "100k"), ("10k", "100k"), ("1k", "10k")] if a in names and b in names]
        L.append("| tool / mode | " + " | ".join(f"{a} → {b}" for a, b in pairs) + " |")
        L.append("|---|" + "---:|" * len(pairs))
        tools = []
        for r in rows:
            if r.group in ("accord", "limit", "peer") and r.tool not in tools:
                tools.append(r.tool)
        for t in tools:
            for what in ("wall", "CPU"):
                cells = []
                for a, b in pairs:
                    ra, rb = by.get((t, a)), by.get((t, b))
                    ca = next(c for c in corpora if c.name == a)
                    cb = next(c for c in corpora if c.name == b)
                    va = vb = None
                    if ra and rb and not ra.status and not rb.status:
                        va, vb = (ra.median, rb.median) if what == "wall" else (ra.cpu, rb.cpu)
                    if va and vb and ca.objects and cb.objects:
                        cells.append(f"{math.log(vb / va) / math.log(cb.objects / ca.objects):.2f}")
                    else:
                        cells.append("n/a")
                L.append(f"| {t} ({what}) | " + " | ".join(cells) + " |")
        L.append("")

    L.append("## Goals\n")
    L.append(goals(corpora, by))
    L.append("## Commands\n")
    L.append("Run from inside each corpus directory. `$WORK/files-<corpus>.txt` is the sorted list of the corpus's "
             ".yaml/.yml/.json files (those accord reads), given to kubernetes-validate and yamllint through `xargs`; "
             "checkov walks the directory itself.\n")
    seen = set()
    for r in rows:
        if r.cmd and r.tool not in seen:
            seen.add(r.tool)
            L.append(f"- {r.tool}: `{r.cmd.replace(ARGS.work, '$WORK')}`")
    L.append("")
    return "\n".join(L)


def goals(corpora, by):
    big = [c for c in corpora if c.name in ("100k", "10k", "1k", "real")]
    out = []

    def med(t, c):
        r = by.get((t, c))
        return r.median if r and not r.status else None

    for c in big:
        full = med("accord lint (full)", c.name)
        ck = med("checkov", c.name)
        kv = med("kubernetes-validate", c.name)
        sch = med("accord lint (schema only)", c.name)
        parse = med("bare parse (limit)", c.name)
        parts = []
        if full and ck:
            parts.append(f"full lint vs checkov {fmt_ratio(ck / full)} ({'met' if ck / full >= 100 else 'NOT met'})")
        if sch and kv:
            parts.append(f"schema-only vs kubernetes-validate {fmt_ratio(kv / sch)} ({'met' if kv / sch >= 10 else 'NOT met'})")
        if c.paired:
            f = c.paired[1] / c.paired[0]
            rows_f = f" (rows: {parse / full * 100:.0f} %)" if full and parse else ""
            parts.append(f"lint/parse {f * 100:.0f} % in {c.paired[2]} alternating rounds{rows_f} "
                         f"({'met' if f >= 0.5 else 'NOT met'})")
        elif full and parse:
            f = parse / full
            parts.append(f"lint/parse {f * 100:.0f} % ({'met' if f >= 0.5 else 'NOT met'})")
        fr = by.get(("accord lint (full)", c.name))
        if fr and fr.rss and not fr.status and c.name == "100k":
            x = fr.rss / c.bytes
            parts.append(f"peak RSS {x:.2f}× input ({'met' if x <= 3 else 'NOT met'})")
        if parts:
            out.append(f"- {c.name}: " + "; ".join(parts))
    for t, goal, label in [("accord diff", 1.0, "diff of a 10-file change (10k)"),
                           ("accord diff + lint of the change", 1.0, "diff + lint of a 10-file change (10k)"),
                           ("accord lint (one small file)", 0.05, "single small file")]:
        r = next((r for (tt, _), r in by.items() if tt == t), None)
        if r is None:
            continue
        if r.status:
            out.append(f"- {label}: {r.status}")
        else:
            out.append(f"- {label}: {fmt_t(r.median)} (goal < {fmt_t(goal)}: {'met' if r.median < goal else 'NOT met'})")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--accord", required=True)
    ap.add_argument("--parse-bench", required=True)
    ap.add_argument("--venv", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--corpora", default="real,1k,10k,100k")
    ap.add_argument("--corpus", help="the real corpus directory (default: ../shared/corpus from the repository)")
    ap.add_argument("--seed", type=int, default=20260101)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--peer-budget", type=float, default=600)
    ap.add_argument("--slow", type=float, default=30, help="a peer run longer than this gets fewer timed runs")
    ap.add_argument("--full-peers", action="store_true", help="give every peer row --runs timed runs")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--cmdline", default="", help="the run.sh arguments, for the report")
    ARGS = ap.parse_args()
    os.makedirs(ARGS.work, exist_ok=True)
    started = datetime.datetime.now(datetime.timezone.utc)
    load_start = open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else []
    A = ARGS.accord
    V = os.path.join(ARGS.venv, "bin")
    feats = Features(A)
    log(f"features: schemas={'yes' if feats.has_schemas() else 'no'} no-schemas={feats.no_schemas} "
        f"schema-only={feats.schema_only} diff={'yes' if feats.diff_help else 'no'} review={'yes' if feats.review_help else 'no'}")
    corpora = make_corpora()
    rows = []

    # 1. accord on every corpus, and the parse limit.
    for c in corpora:
        full = Row("accord", "accord lint (full)", c, feats.lint_cmd("full", "."), c.path)
        if not feats.has_schemas():
            full.note = "schema validation not built yet: rules only"
        run_row(full, ARGS.runs, ARGS.warmup, accord_counter)
        rows.append(full)
        for mode, tool in [("rules", "accord lint (rules only)"), ("schema", "accord lint (schema only)")]:
            rows.append(run_row(Row("accord", tool, c, feats.lint_cmd(mode, "."), c.path), ARGS.runs, ARGS.warmup, accord_counter))
        p = Row("limit", "bare parse (limit)", c, f"{ARGS.parse_bench} --mode parse .", c.path)
        p.note = "span-keeping YAML tree, same parser and thread pool"
        rows.append(run_row(p, ARGS.runs, ARGS.warmup, lambda r, o, e: None))
        ev = Row("limit", "saphyr events only", c, f"{ARGS.parse_bench} --mode events .", c.path)
        ev.note = "tokenizer floor: no tree"
        rows.append(run_row(ev, ARGS.runs, ARGS.warmup, lambda r, o, e: None))
        # The lint/parse goal compares two programs: also timed alternating, side by side.
        if ARGS.runs > 1 and not full.status and not p.status and full.cmd:
            log(f"full lint and bare parse alternating on {c.name}, {ARGS.runs} rounds")
            lint_t, parse_t = alternate([full.cmd, p.cmd], c.path, ARGS.runs)
            c.paired = (lint_t, parse_t, ARGS.runs)

    # 2. diff rows on the 10k git repository; single-file start-up.
    c10 = next((c for c in corpora if c.name == "10k"), None)
    if c10 is not None:
        d = Row("diff", "accord diff", c10, feats.diff_cmd(), c10.path)
        d.note = "HEAD~1..HEAD, 10 files changed" + ("; no rules" if feats.diff_lints() else "")
        rows.append(run_row(d, ARGS.runs, ARGS.warmup, count_diff))
        rv = Row("diff", "accord diff + lint of the change", c10, feats.review_cmd(), c10.path)
        rv.note = "HEAD~1..HEAD, 10 files changed"
        counter = count_diff if feats.diff_lints() else accord_counter
        rows.append(run_row(rv, ARGS.runs, ARGS.warmup, counter))
    small = single_file(corpora)
    singles = []
    if small:
        path, size = small
        for tool, cmd in [("accord lint (one small file)", f"{A} lint --format json {shlex.quote(path)}")]:
            r = Row("single", tool, None, cmd, ARGS.work)
            r.bytes, r.objects = size, 1
            r.note = f"{os.path.basename(path)}, {size} bytes, 1 object"
            rows.append(run_row(r, max(ARGS.runs, 20), 3, accord_counter))
        singles = [path, size]

    # 3. peers.
    if not ARGS.no_peers:
        xargs = "xargs -a {list} -d '\\n' -s 2000000"
        ck = f"{V}/checkov --framework kubernetes -o json --quiet --compact --skip-download"
        kv = f"{V}/kubernetes-validate --strict --quiet"
        yl = f"{V}/yamllint -f parsable"
        # (name, command over a corpus, command over one file, findings counter, note)
        peers = [
            ("checkov", f"{ck} -d .", f"{ck} -f {{file}}",
             lambda r, o, e: setattr(r, "findings", (count_checkov(o) or (None, None))[0]), "failed checks"),
            ("kubernetes-validate", f"{xargs} {kv}", f"{kv} {{file}}",
             lambda r, o, e: setattr(r, "findings", lines(o + e)), "--strict; output lines"),
            ("yamllint", f"{xargs} {yl}", f"{yl} {{file}}",
             lambda r, o, e: setattr(r, "findings", lines(o)), "default config; problems"),
        ]
        order = sorted(corpora, key=lambda c: c.bytes)
        for name, cmd, _, counter, note in peers:
            per_byte = None  # seconds per byte seen so far, to predict larger corpora
            over = False
            for c in order:
                r = Row("peer", name, c, cmd.replace("{list}", shlex.quote(c.list_file)), c.path)
                r.note = note
                if over:
                    r.status = f"skipped: over the {ARGS.peer_budget:.0f} s budget on a smaller corpus"
                elif per_byte and per_byte * c.bytes > ARGS.peer_budget:
                    r.status = f"skipped: predicted {per_byte * c.bytes:.0f} s > {ARGS.peer_budget:.0f} s budget"
                else:
                    run_row(r, 1, 0, counter, timeout=ARGS.peer_budget)
                    if r.status and r.status.startswith("skipped"):
                        over = True
                    elif not r.status:
                        per_byte = max(per_byte or 0, r.first_wall / max(c.bytes, 1))
                        n = peer_runs(r.first_wall)
                        if n > 1:
                            h = hyperfine(r.cmd, r.cwd, n, 0)
                            r.median, r.min, r.max, r.runs = h["median"], h["min"], h["max"], h["runs"]
                rows.append(r)
        if singles:
            path, size = singles
            for name, _, one, counter, note in peers:
                r = Row("single", f"{name} (one small file)", None, one.replace("{file}", shlex.quote(path)), ARGS.work)
                r.bytes, r.objects = size, 1
                r.note = note
                rows.append(run_row(r, ARGS.runs, 1, counter, timeout=ARGS.peer_budget))

    versions = {
        "accord": version(f"{A} --version") + f" (git {sh('git -C ' + shlex.quote(REPO) + ' rev-parse --short HEAD')[1].strip()})",
        "rustc": version("rustc --version"),
        "hyperfine": version("hyperfine --version"),
        "checkov": version(f"{V}/checkov --version"),
        "kubernetes-validate": version(f"{V}/kubernetes-validate --version"),
        "yamllint": version(f"{V}/yamllint --version"),
        "python (peers)": version(f"{V}/python --version"),
    }
    text = report(corpora, rows, feats, started, load_start, versions)
    with open(ARGS.out, "w") as f:
        f.write(text)
    with open(os.path.join(ARGS.work, "rows.json"), "w") as f:
        json.dump([{k: (v if not isinstance(v, Corpus) else v.name) for k, v in r.__dict__.items()} for r in rows], f, indent=1, default=str)
    print(text)
    log(f"wrote {ARGS.out}")


def single_file(corpora):
    """A small Deployment from the smallest synthetic corpus (copied so the path is stable)."""
    for c in sorted(corpora, key=lambda c: c.bytes):
        for f in c.files:
            if f.endswith("/deployment.yaml"):
                src = os.path.join(c.path, f)
                dst = os.path.join(ARGS.work, "single", "deployment.yaml")
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copyfile(src, dst)
                return dst, os.path.getsize(dst)
    return None


if __name__ == "__main__":
    main()
