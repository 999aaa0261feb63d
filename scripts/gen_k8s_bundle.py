#!/usr/bin/env python3
"""Build accord's embedded Kubernetes schema bundle ("Bundle format v1").

Standard library only. Reads the kubernetes-validate wheel (a zip) directly,
walks every ``kubernetes_validate/kubernetes-json-schema/v1.X.0-local/_definitions.json``
(the non-strict flavour; ``-local-strict`` is ignored because strict mode is
rebuilt at load time), and writes one deduplicated delta bundle:

    {"format": 1,
     "source": {...},
     "versions": ["1.25", ..., "1.37"],
     "kinds": {"apps/v1/Deployment": {"def": "io.k8s.api.apps.v1.Deployment", "in": 8191}, ...},
     "defs": {"<def name>": [{"in": <mask>, "schema": {...}}, ...], ...}}

Bit i of every ``in`` mask stands for ``versions[i]``. To rebuild minor i keep,
for every def name, the (single) variant whose mask has bit i set; the result
is that minor's ``{"$defs": ...}``. ``$ref`` values stay ``#/$defs/<name>``.
No semantic edits are made to any schema.

Kind keys are ``<apiVersion>/<Kind>`` (``v1/Pod``, ``apps/v1/Deployment``,
``rbac.authorization.k8s.io/v1/ClusterRole``). Kinds are taken only from defs
that carry exactly one ``x-kubernetes-group-version-kind`` entry (this skips
``DeleteOptions`` and ``WatchEvent``, and also ``v1/Status`` in 1.26-1.30, where
that def additionally lists ``resource.k8s.io/v1alpha*/Status``).

If a kind ever maps to different def names in different minors, its ``kinds``
value becomes a list of ``{"def", "in"}`` objects (sorted by first minor)
instead of a single object, and a warning is printed. With the
kubernetes-validate 1.37.0 wheel this does not happen: every value is an object.

Variants of one def name are listed in order of their first minor. Output is
``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
encoded as UTF-8 with no trailing newline, so it is byte-for-byte deterministic.

Usage:
    gen_k8s_bundle.py WHEEL OUT.json [--lifecycle OUT.tsv] [--source-toml SOURCE.toml] [--facts OUT.txt]
        Generate the bundle, then re-read OUT.json and verify that every minor
        round-trips to the wheel's _definitions.json.
    gen_k8s_bundle.py --check WHEEL BUNDLE.json
        Only verify an existing (decompressed) bundle against the wheel.
"""

import argparse
import hashlib
import json
import os
import re
import sys
import zipfile

FORMAT = 1
DEFS_RE = re.compile(r"^kubernetes_validate/kubernetes-json-schema/v(1)\.(\d+)\.0-local/_definitions\.json$")
GVK = "x-kubernetes-group-version-kind"


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def wheel_version(zf):
    """Version from the dist-info directory name, e.g. kubernetes_validate-1.37.0.dist-info."""
    for n in zf.namelist():
        m = re.match(r"^kubernetes_validate-([^/]+)\.dist-info/METADATA$", n)
        if m:
            return m.group(1)
    raise SystemExit("error: no kubernetes_validate-*.dist-info/METADATA in wheel")


def read_minors(zf):
    """Return [(minor string '1.X', $defs dict)] sorted by minor number."""
    found = []
    for n in zf.namelist():
        m = DEFS_RE.match(n)
        if m:
            found.append((int(m.group(2)), "%s.%s" % (m.group(1), m.group(2)), n))
    if not found:
        raise SystemExit("error: no v1.X.0-local/_definitions.json in wheel")
    found.sort()
    out = []
    for _, minor, name in found:
        doc = json.loads(zf.read(name).decode("utf-8"))
        defs = doc.get("$defs")
        if not isinstance(defs, dict):
            raise SystemExit("error: %s has no $defs object" % name)
        out.append((minor, defs))
    return out


def api_version(gvk):
    g, v = gvk["group"], gvk["version"]
    return "%s/%s" % (g, v) if g else v


def kinds_of(defs):
    """{kind key: def name} for defs with exactly one GVK."""
    res = {}
    for name, schema in defs.items():
        gvks = schema.get(GVK) if isinstance(schema, dict) else None
        if isinstance(gvks, list) and len(gvks) == 1:
            key = "%s/%s" % (api_version(gvks[0]), gvks[0]["kind"])
            if key in res:
                raise SystemExit("error: kind %s defined by both %s and %s" % (key, res[key], name))
            res[key] = name
    return res


def canon(obj):
    """Canonical text of a schema, used as the dedup key."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def lowest_bit(mask):
    return (mask & -mask).bit_length() - 1


def bits(mask):
    return [i for i in range(mask.bit_length()) if mask >> i & 1]


def build(minors, source):
    versions = [m for m, _ in minors]
    # def name -> canonical body -> [mask, schema]
    variants = {}
    # kind key -> def name -> mask
    kinds = {}
    for i, (_, defs) in enumerate(minors):
        bit = 1 << i
        for name, schema in defs.items():
            slot = variants.setdefault(name, {}).setdefault(canon(schema), [0, schema])
            slot[0] |= bit
        for key, name in kinds_of(defs).items():
            per = kinds.setdefault(key, {})
            per[name] = per.get(name, 0) | bit

    out_defs = {}
    for name, bodies in variants.items():
        vs = sorted(bodies.values(), key=lambda s: lowest_bit(s[0]))
        out_defs[name] = [{"in": mask, "schema": schema} for mask, schema in vs]

    out_kinds = {}
    changed = []
    for key, per in kinds.items():
        entries = sorted(({"def": d, "in": m} for d, m in per.items()), key=lambda e: lowest_bit(e["in"]))
        if len(entries) == 1:
            out_kinds[key] = entries[0]
        else:
            out_kinds[key] = entries
            changed.append(key)
    for key in sorted(changed):
        print("WARNING: kind %s maps to several def names: %s" % (
            key, ", ".join("%s in %s" % (e["def"], [versions[b] for b in bits(e["in"])]) for e in out_kinds[key])),
            file=sys.stderr)

    return {"format": FORMAT, "source": source, "versions": versions, "kinds": out_kinds, "defs": out_defs}


def serialize(bundle):
    return json.dumps(bundle, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def kind_entries(value):
    return value if isinstance(value, list) else [value]


def reconstruct(bundle, i):
    """Rebuild ({def name: schema}, {kind key: def name}) for versions[i]."""
    bit = 1 << i
    defs = {}
    for name, vs in bundle["defs"].items():
        hit = [v for v in vs if v["in"] & bit]
        if len(hit) > 1:
            raise AssertionError("def %s has %d variants in %s" % (name, len(hit), bundle["versions"][i]))
        if hit:
            defs[name] = hit[0]["schema"]
    kinds = {}
    for key, val in bundle["kinds"].items():
        hit = [e for e in kind_entries(val) if e["in"] & bit]
        if len(hit) > 1:
            raise AssertionError("kind %s has %d defs in %s" % (key, len(hit), bundle["versions"][i]))
        if hit:
            kinds[key] = hit[0]["def"]
    return defs, kinds


def strictify(schema):
    """The wheel's -strict flavour, as documented: additionalProperties:false on every
    schema object that has `properties` and no `additionalProperties`. Schema-aware walk
    (keys of `properties` maps are property names, not keywords)."""
    if isinstance(schema, list):
        return [strictify(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for k, v in schema.items():
        if k in ("properties", "patternProperties", "$defs") and isinstance(v, dict):
            out[k] = {pk: strictify(pv) for pk, pv in v.items()}
        elif k in ("items", "additionalProperties", "not", "oneOf", "anyOf", "allOf"):
            out[k] = strictify(v)
        else:
            out[k] = v
    if isinstance(schema.get("properties"), dict) and "additionalProperties" not in schema:
        out["additionalProperties"] = False
    return out


def check(bundle, zf, minors=None, strict=True):
    """Verify the bundle against the wheel. Returns a list of per-minor stats."""
    if minors is None:
        minors = read_minors(zf)
    ok = True
    if bundle.get("format") != FORMAT:
        print("CHECK FAIL: format is %r" % bundle.get("format"))
        ok = False
    if bundle["versions"] != [m for m, _ in minors]:
        print("CHECK FAIL: versions %r != wheel %r" % (bundle["versions"], [m for m, _ in minors]))
        raise SystemExit(1)
    allmask = (1 << len(minors)) - 1
    for name, vs in bundle["defs"].items():
        seen = 0
        for v in vs:
            if v["in"] == 0 or v["in"] & seen or v["in"] & ~allmask:
                print("CHECK FAIL: bad/overlapping mask on %s" % name)
                ok = False
            seen |= v["in"]
    stats = []
    for i, (minor, wdefs) in enumerate(minors):
        defs, kinds = reconstruct(bundle, i)
        same_defs = defs == wdefs and canon(defs) == canon(wdefs)
        same_kinds = kinds == kinds_of(wdefs)
        dangling = set()
        for name, schema in defs.items():
            for ref in re.findall(r'"\$ref":"#/\$defs/([^"]+)"', canon(schema)):
                if ref not in defs:
                    dangling.add(ref)
        strict_ok = None
        strict_name = "kubernetes_validate/kubernetes-json-schema/v%s.0-local-strict/_definitions.json" % minor
        if strict and strict_name in zf.namelist():
            sdefs = json.loads(zf.read(strict_name).decode("utf-8"))["$defs"]
            strict_ok = {n: strictify(s) for n, s in defs.items()} == sdefs
        status = "OK" if (same_defs and same_kinds and not dangling) else "FAIL"
        if status == "FAIL":
            ok = False
        print("check %s: %s  defs %d (wheel %d)  kinds %d  dangling refs %d  strict==non-strict+additionalProperties:false: %s"
              % (minor, status, len(defs), len(wdefs), len(kinds), len(dangling),
                 {None: "n/a", True: "yes", False: "NO"}[strict_ok]))
        stats.append({"minor": minor, "defs": len(defs), "kinds": len(kinds), "strict_ok": strict_ok})
    if not ok:
        print("CHECK FAILED")
        raise SystemExit(1)
    print("check: all %d minors round-trip exactly to the wheel's _definitions.json $defs" % len(minors))
    return stats


def all_gvks(defs):
    """Every apiVersion/Kind named by any def, including multi-GVK defs."""
    res = set()
    for schema in defs.values():
        for g in (schema.get(GVK) or []) if isinstance(schema, dict) else []:
            res.add("%s/%s" % (api_version(g), g["kind"]))
    return res


def split_key(key):
    av, kind = key.rsplit("/", 1)
    return av, kind


def lifecycle_rows(bundle):
    versions = bundle["versions"]
    rows = []
    for key in sorted(bundle["kinds"]):
        mask = 0
        for e in kind_entries(bundle["kinds"][key]):
            mask |= e["in"]
        b = bits(mask)
        av, kind = split_key(key)
        rows.append((av, kind, versions[b[0]], versions[b[-1]], mask))
    return rows


def write_lifecycle(bundle, path):
    lines = ["apiVersion\tkind\tfirst_minor\tlast_minor"]
    for av, kind, first, last, _ in lifecycle_rows(bundle):
        lines.append("%s\t%s\t%s\t%s" % (av, kind, first, last))
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")


def facts(bundle, minors, stats, data, path):
    versions = bundle["versions"]
    n = len(versions)
    allmask = (1 << n) - 1
    L = []
    L.append("kubernetes-validate bundle facts")
    L.append("source: %s" % json.dumps(bundle["source"], sort_keys=True))
    L.append("json bytes: %d  sha256: %s" % (len(data), hashlib.sha256(data).hexdigest()))
    L.append("versions: %d (%s..%s)  kinds (union): %d  def names: %d  variants: %d" % (
        n, versions[0], versions[-1], len(bundle["kinds"]), len(bundle["defs"]),
        sum(len(v) for v in bundle["defs"].values())))
    L.append("")
    L.append("minor\tdefs\tkinds\tstrict_flavour_is_derivable")
    for s in stats:
        L.append("%s\t%d\t%d\t%s" % (s["minor"], s["defs"], s["kinds"], s["strict_ok"]))
    L.append("")
    rows = lifecycle_rows(bundle)
    L.append("kinds present in all %d minors: %d" % (n, sum(1 for r in rows if r[4] == allmask)))
    L.append("")
    L.append("kinds NOT in the newest minor (%s), i.e. removed (apiVersion, kind, first, last):" % versions[-1])
    for av, kind, first, last, mask in rows:
        if not mask >> (n - 1) & 1:
            L.append("  %s\t%s\t%s\t%s" % (av, kind, first, last))
    L.append("")
    L.append("kinds added after %s (apiVersion, kind, first, last):" % versions[0])
    for av, kind, first, last, mask in rows:
        if not mask & 1:
            L.append("  %s\t%s\t%s\t%s" % (av, kind, first, last))
    L.append("")
    gaps = [(av, kind, mask) for av, kind, _, _, mask in rows if mask != ((1 << bits(mask)[-1] + 1) - (1 << bits(mask)[0]))]
    L.append("kinds whose kind-index mask has gaps: %d" % len(gaps))
    for av, kind, mask in gaps:
        missing = [versions[i] for i in range(bits(mask)[0], bits(mask)[-1] + 1) if not mask >> i & 1]
        present_anyway = [versions[i] for i in range(n) if versions[i] in missing
                          and "%s/%s" % (av, kind) in all_gvks(minors[i][1])]
        L.append("  %s/%s missing from index in %s; still named by a multi-GVK def in %s" % (
            av, kind, ",".join(missing), ",".join(present_anyway) or "-"))
    changed = [k for k, v in bundle["kinds"].items() if isinstance(v, list)]
    L.append("kinds whose def name changes across minors: %d %s" % (len(changed), " ".join(sorted(changed))))
    multi = {}
    for i, (minor, defs) in enumerate(minors):
        for name, schema in defs.items():
            g = schema.get(GVK)
            if isinstance(g, list) and len(g) > 1:
                multi.setdefault((name, len(g)), []).append(minor)
    L.append("defs with more than one GVK (left out of the kind index):")
    for (name, cnt), ms in sorted(multi.items()):
        L.append("  %s: %d GVKs in %s" % (name, cnt, ",".join(ms)))
    single_variant = sum(1 for v in bundle["defs"].values() if len(v) == 1)
    L.append("def names with a single variant across all minors: %d" % single_variant)
    most = sorted(bundle["defs"].items(), key=lambda kv: (-len(kv[1]), kv[0]))[:5]
    L.append("most variants: " + ", ".join("%s=%d" % (k, len(v)) for k, v in most))
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(L) + "\n")


def toml_str(s):
    return json.dumps(s, ensure_ascii=False)


def write_source_toml(bundle, stats, data, path, compression):
    src = bundle["source"]
    v = bundle["versions"]
    L = [
        "# Provenance of schemas/k8s/bundle.json.zst (Bundle format v1).",
        "# Generated by scripts/gen_k8s_bundle.sh; do not edit by hand.",
        "# json_sha256/json_bytes describe the *decompressed* JSON; the .zst bytes",
        "# depend on the zstd version and are deliberately not pinned.",
        "",
        "format = %d" % bundle["format"],
        "package = %s" % toml_str(src["package"]),
        "version = %s" % toml_str(src["version"]),
        "wheel = %s" % toml_str(src["wheel"]),
        "wheel_sha256 = %s" % toml_str(src["wheel_sha256"]),
        "flavour = %s" % toml_str(src["flavour"]),
        "json_sha256 = %s" % toml_str(hashlib.sha256(data).hexdigest()),
        "json_bytes = %d" % len(data),
        "compression = %s" % toml_str(compression),
        "versions = [%s]" % ", ".join(toml_str(x) for x in v),
        "# kinds: distinct group/version/Kind keys over all minors",
        "kinds = %d" % len(bundle["kinds"]),
        "def_names = %d" % len(bundle["defs"]),
        "variants = %d" % sum(len(x) for x in bundle["defs"].values()),
        "latest = %s" % toml_str(v[-1]),
        "latest_defs = %d" % stats[-1]["defs"],
        "latest_kinds = %d" % stats[-1]["kinds"],
        "",
        "[defs_per_minor]",
    ]
    L += ["%s = %d" % (toml_str(s["minor"]), s["defs"]) for s in stats]
    L += ["", "[kinds_per_minor]"]
    L += ["%s = %d" % (toml_str(s["minor"]), s["kinds"]) for s in stats]
    L += [
        "",
        "[licence]",
        "package = %s" % toml_str("kubernetes-validate: Apache-2.0, Copyright (C) 2018 Will Thames "
                                  "(https://github.com/willthames/kubernetes-validate)"),
        "data = %s" % toml_str("Schemas generated from the Kubernetes OpenAPI spec (kubernetes/kubernetes, "
                               "Apache-2.0, Copyright The Kubernetes Authors) via willthames/kubernetes-json-schema"),
        "",
    ]
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(L))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("wheel", help="kubernetes_validate-X.Y.Z-py3-none-any.whl")
    ap.add_argument("bundle", help="output JSON (or, with --check, the bundle JSON to verify)")
    ap.add_argument("--check", action="store_true", help="only verify an existing bundle against the wheel")
    ap.add_argument("--lifecycle", metavar="TSV", help="also write apiVersion/kind/first_minor/last_minor TSV")
    ap.add_argument("--facts", metavar="TXT", help="also write a human-readable summary")
    ap.add_argument("--source-toml", metavar="TOML", help="also write schemas/k8s/SOURCE.toml")
    ap.add_argument("--compression", default="zstd -19 --single-thread",
                    help="compression note recorded in SOURCE.toml")
    ap.add_argument("--no-strict-check", action="store_true", help="skip comparing against the -strict flavour")
    args = ap.parse_args(argv)

    with zipfile.ZipFile(args.wheel) as zf:
        minors = read_minors(zf)
        if args.check:
            with open(args.bundle, "rb") as f:
                data = f.read()
            bundle = json.loads(data.decode("utf-8"))
            print("bundle: %d bytes, sha256 %s" % (len(data), hashlib.sha256(data).hexdigest()))
            check(bundle, zf, minors, strict=not args.no_strict_check)
            return 0

        source = {
            "package": "kubernetes-validate",
            "version": wheel_version(zf),
            "wheel": os.path.basename(args.wheel),
            "wheel_sha256": sha256_file(args.wheel),
            "flavour": "local",
        }
        bundle = build(minors, source)
        data = serialize(bundle)
        with open(args.bundle, "wb") as f:
            f.write(data)

        v = bundle["versions"]
        print("versions: %d (%s..%s)" % (len(v), v[0], v[-1]))
        print("kinds: %d" % len(bundle["kinds"]))
        print("def names: %d" % len(bundle["defs"]))
        print("variants: %d" % sum(len(x) for x in bundle["defs"].values()))
        print("bytes: %d" % len(data))
        print("sha256: %s" % hashlib.sha256(data).hexdigest())

        # Verify from what was written to disk, not from the in-memory object.
        with open(args.bundle, "rb") as f:
            reread = json.loads(f.read().decode("utf-8"))
        stats = check(reread, zf, minors, strict=not args.no_strict_check)

        if args.lifecycle:
            write_lifecycle(reread, args.lifecycle)
            print("lifecycle: %s (%d kinds)" % (args.lifecycle, len(reread["kinds"])))
        if args.source_toml:
            write_source_toml(reread, stats, data, args.source_toml, args.compression)
            print("source toml: %s" % args.source_toml)
        if args.facts:
            facts(reread, minors, stats, data, args.facts)
            print("facts: %s" % args.facts)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
