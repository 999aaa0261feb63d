//! Kustomize overlays rendered natively, with the provenance of every field.
//!
//! Among the inputs, directories holding a `kustomization.yaml` (or `.yml`, or `Kustomization`)
//! are rendered ([`render`]); only the top ones are linted — those no other kustomization among
//! the inputs includes — so a base is linted through each overlay that uses it. Each rendered
//! object keeps, per node, the file and span it came from ([`tree::Origin`]); rendered objects are
//! written to a synthetic YAML stream that the engine lints like any file, and [`remap`] then moves
//! every finding to the line that caused it (base resource, patch, generator entry, or the
//! kustomization field that set the value), naming the overlay in a label. Files that belong to
//! a kustomization are not linted again on their own (their YAML problems still are).
//!
//! Rendering reads files through the documents `load` already parsed (only files it did not
//! take are read and parsed here); top kustomizations that share no directory render in
//! parallel, and their synthetic streams are written (with their trees) in parallel, with every
//! result put back in directory order so the output does not depend on scheduling.

pub mod files;
pub mod generators;
pub mod json6902;
pub mod merge;
pub mod render;
pub mod tree;

use crate::diagnostic::{Applicability, Diagnostic, Label, Location, Severity, TextEdit};
use crate::manifest::{self, FileManifests};
use crate::source::{Source, SourceFile, Span};
use files::Files;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use tree::{Origin, Provenance};

/// Finding ids of rendering: (id, severity, why, help).
pub const RULES: &[(&str, Severity, &str, &str)] = &[
    (
        "kustomize-error",
        Severity::Error,
        "`kustomize build` (and Flux or Argo CD with it) fails on this kustomization, or renders something other than what was written, so the overlay does not reach the cluster as intended.",
        "Fix the kustomization entry at the indicated position.",
    ),
    (
        "kustomize-unsupported",
        Severity::Warning,
        "accord renders kustomizations itself, offline; this feature is not rendered, so the objects it produces or changes are not linted.",
        "Lint the output of `kustomize build` for this directory separately, or vendor the remote base.",
    ),
];

/// One rendered top-level kustomization.
#[derive(Debug)]
pub struct Rendered {
    /// The kustomization directory.
    pub dir: PathBuf,
    /// Display path of its kustomization file.
    pub kustomization: Source,
    /// The rendered objects, as a synthetic file (linted like any other).
    pub file: FileManifests,
    /// Synthetic span → origin.
    pub provenance: Provenance,
    /// Per object: its document span in the synthetic text and the file that defined it.
    pub objects: Vec<(Span, Origin)>,
}

/// Everything rendering the inputs produced.
#[derive(Debug, Default)]
pub struct Output {
    /// Rendered top-level kustomizations.
    pub rendered: Vec<Rendered>,
    /// Files that belong to a kustomization (not linted on their own).
    pub members: BTreeSet<PathBuf>,
    /// The same files by display path (as the loaded files are named).
    pub member_paths: BTreeSet<String>,
    /// Findings from rendering itself.
    pub diagnostics: Vec<Diagnostic>,
}

/// Is `p` a kustomization file?
pub fn is_kustomization_file(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| render::FILE_NAMES.contains(&n))
}

/// Kustomization directories among the inputs: input directories and the directories of
/// discovered files (searched down from each input directory), sorted.
pub fn find_dirs(inputs: &[PathBuf], files: &[PathBuf]) -> Vec<PathBuf> {
    find_dirs_in(&files::Disk::default(), inputs, files)
}

/// [`find_dirs`] as `fs` sees the files (a git revision's tree, or the disk). `files` comes
/// sorted from discovery, so the files of one directory are neighbours and each directory is
/// collected once without a set; the directories are probed in parallel where `fs` allows it.
pub fn find_dirs_in(fs: &dyn Files, inputs: &[PathBuf], files: &[PathBuf]) -> Vec<PathBuf> {
    let mut parents: Vec<PathBuf> = Vec::new();
    for p in files {
        if let Some(d) = p.parent()
            && parents
                .last()
                .is_none_or(|l| l.as_os_str() != d.as_os_str())
        {
            parents.push(d.to_path_buf());
        }
    }
    for i in inputs {
        if fs.is_dir(i) {
            parents.push(i.clone());
        }
    }
    parents.sort();
    parents.dedup();
    match fs.as_sync() {
        Some(sync) => parents
            .into_par_iter()
            .filter(|d| render::kustomization_file_in(sync, d).is_some())
            .collect(),
        None => parents
            .into_iter()
            .filter(|d| render::kustomization_file_in(fs, d).is_some())
            .collect(),
    }
}

/// What the display path of a rendered kustomization ends with (no real manifest file does:
/// they all end with a manifest extension).
pub const RENDERED_SUFFIX: &str = " (rendered)";

/// The synthetic display path of a rendered kustomization.
fn synthetic_path(kustomization: &str) -> String {
    format!("{kustomization}{RENDERED_SUFFIX}")
}

/// For the synthetic file of a rendered kustomization (`overlays/prod/kustomization.yaml
/// (rendered)`), the kustomization directory it was rendered from (`overlays/prod`; `.` for the
/// root); `None` for any other file.
pub fn rendered_dir(path: &str) -> Option<&str> {
    let k = path.strip_suffix(RENDERED_SUFFIX)?;
    Some(match k.rsplit_once('/') {
        Some((d, _)) => d,
        None => ".",
    })
}

fn make(id: &str, message: String, location: Location) -> Diagnostic {
    let (severity, why, help) = RULES
        .iter()
        .find(|r| r.0 == id)
        .map_or((Severity::Error, "", ""), |r| (r.1, r.2, r.3));
    Diagnostic {
        rule: id.into(),
        severity,
        category: "kustomize".into(),
        message,
        location,
        path: String::new(),
        identity_path: String::new(),
        object: None,
        why: why.into(),
        help: help.into(),
        owner: None,
        contact: None,
        docs: None,
        labels: Vec::new(),
        fix: None,
        waiver: None,
        code_owner: None,
    }
}

/// Render one kustomization directory to plain objects (as JSON), for callers that need the
/// rendered objects without linting them (object identity after rendering, comparisons).
pub fn render_dir(dir: &Path, cwd: &Path) -> (Vec<serde_json::Value>, Vec<Diagnostic>) {
    let fs = files::Disk::new(cwd);
    let mut r = render::Renderer::new(&fs);
    let res = r.render(dir);
    let diags = r
        .problems
        .iter()
        .map(|p| make(p.rule, p.message.clone(), Location::new(&p.source, p.span)))
        .collect();
    (res.iter().map(|x| x.node.to_json()).collect(), diags)
}

/// Render every kustomization directory in `dirs`; keep the top ones (not included by another).
pub fn render_all(dirs: &[PathBuf], cwd: &Path) -> Output {
    render_all_in(&files::Disk::new(cwd), dirs)
}

/// [`render_all`] reading files from `fs` (a git revision's tree, or the disk).
pub fn render_all_in(fs: &dyn Files, dirs: &[PathBuf]) -> Output {
    render_with(fs, dirs, None)
}

/// [`render_all_in`] taking the files of `loaded` (named by display path as `fs` names them)
/// as they were read and parsed, instead of reading and parsing them again.
pub fn render_all_loaded(fs: &dyn Files, dirs: &[PathBuf], loaded: &[FileManifests]) -> Output {
    let index = render::index_loaded(loaded);
    render_with(fs, dirs, Some(&index))
}

/// What rendering one top kustomization gave: its index among the tops, the problems raised
/// while rendering it, and its kustomization file (path shown, source) with the resources.
type TopResult = (
    usize,
    Vec<render::Problem>,
    Option<(PathBuf, String, Source, Vec<render::Res>)>,
);

/// Render the top kustomizations among `dirs`. Tops that share no kustomization directory
/// (none reaches a directory another reaches) share no rendering state either, so such groups
/// render in parallel where `fs` allows it, each group in order with one renderer, as one
/// renderer would have rendered them all; results are put back in the order of `dirs`.
fn render_with<'f>(
    fs: &'f dyn Files,
    dirs: &[PathBuf],
    loaded: Option<&'f render::LoadedFiles<'f>>,
) -> Output {
    let renderer = |fs: &'f dyn Files| match loaded {
        Some(l) => render::Renderer::with_loaded(fs, l),
        None => render::Renderer::new(fs),
    };
    let mut r = renderer(fs);
    let canon = |p: &Path| fs.canonical(p);
    let mut included = BTreeSet::new();
    for d in dirs {
        for i in r.includes(d) {
            included.insert(canon(&i));
        }
    }
    let tops: Vec<&PathBuf> = dirs
        .iter()
        .filter(|d| !included.contains(&canon(d)))
        .collect();
    let sync = fs.as_sync().filter(|_| tops.len() > 1);
    let reach = reach(&mut r, &tops);
    let groups = match (&reach, sync) {
        (Some((groups, _)), Some(_)) => groups.clone(),
        _ => vec![(0..tops.len()).collect()],
    };
    let uses: Option<Uses> = reach.map(|(_, uses)| uses);
    let renderer = |fs: &'f dyn Files| {
        let mut r = renderer(fs);
        r.uses = uses.clone();
        r
    };
    r.uses = uses.clone();
    let mut members = BTreeSet::new();
    let mut results: Vec<TopResult> = match sync {
        Some(sync) if groups.len() > 1 => {
            members = std::mem::take(&mut r.members);
            let per_group: Vec<(Vec<TopResult>, BTreeSet<PathBuf>)> = groups
                .par_iter()
                .map(|g| render_group(renderer(sync), &tops, g))
                .collect();
            let mut all = Vec::new();
            for (res, m) in per_group {
                all.extend(res);
                members.extend(m);
            }
            all.sort_by_key(|t| t.0);
            all
        }
        _ => {
            let all: Vec<usize> = (0..tops.len()).collect();
            let (res, m) = render_group(r, &tops, &all);
            members.extend(m);
            res
        }
    };
    let mut out = Output::default();
    let mut seen = BTreeSet::new();
    let mut done = Vec::new();
    for (_, problems, rendered) in results.drain(..) {
        for p in problems {
            if seen.insert((p.source.path.clone(), p.span, p.message.clone())) {
                out.diagnostics
                    .push(make(p.rule, p.message, Location::new(&p.source, p.span)));
            }
        }
        done.extend(rendered);
    }
    // Writing the synthetic streams is independent per kustomization.
    out.rendered = done
        .into_par_iter()
        .map(|(dir, kdisplay, ksrc, res)| finish_rendered(dir, &kdisplay, ksrc, &res))
        .collect();
    out.member_paths = members.iter().map(|p| fs.display(p)).collect();
    out.members = members;
    out
}

/// Render the tops at `group` (indices into `tops`, ascending) in order with `r`; with the
/// files `r` read.
fn render_group(
    mut r: render::Renderer<'_>,
    tops: &[&PathBuf],
    group: &[usize],
) -> (Vec<TopResult>, BTreeSet<PathBuf>) {
    let fs = r.fs;
    let mut out = Vec::with_capacity(group.len());
    for &i in group {
        let dir = tops[i];
        let before = r.problems.len();
        let res = r.render(dir);
        let problems = r.problems[before..].to_vec();
        let rendered = render::kustomization_file_in(fs, dir).map(|kpath| {
            let kdisplay = fs.display(&kpath);
            let ksrc = r
                .source(&kpath)
                .unwrap_or_else(|| SourceFile::new(kdisplay.clone(), String::new()));
            (dir.clone(), kdisplay, ksrc, res)
        });
        out.push((i, problems, rendered));
    }
    (out, r.members)
}

/// Expected builds per kustomization directory ([`render::Renderer::uses`]).
type Uses = HashMap<PathBuf, usize>;

/// What the tops reach: the tops (indices into `tops`) in groups that share no kustomization
/// directory, each group ascending and the groups in the order of their first top; and how
/// many times each directory reached (canonical) is built, if each result is reused
/// ([`render::Renderer::uses`]): once per directory that includes it, and once more for a top.
/// `None` when a directory's links make its canonical path differ from its spelled one (two
/// spellings of one directory could then include different directories).
fn reach(r: &mut render::Renderer<'_>, tops: &[&PathBuf]) -> Option<(Vec<Vec<usize>>, Uses)> {
    let fs = r.fs;
    let plain = |d: &Path, c: &Path| {
        c == d
            || std::path::absolute(d)
                .ok()
                .is_some_and(|a| render::join(&a, "") == c)
    };
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut parent: Vec<usize> = (0..tops.len()).collect();
    // Canonical directory → the first top that reaches it.
    let mut owner: HashMap<PathBuf, usize> = HashMap::new();
    let mut uses = Uses::new();
    for (t, top) in tops.iter().enumerate() {
        *uses.entry(fs.canonical(top)).or_default() += 1;
        let mut stack = vec![(*top).clone()];
        while let Some(d) = stack.pop() {
            let c = fs.canonical(&d);
            if !plain(&d, &c) {
                return None;
            }
            match owner.get(&c) {
                Some(&o) => {
                    let (a, b) = (root(&mut parent, o), root(&mut parent, t));
                    // The smaller index stays the root: a group's root is its first top.
                    parent[a.max(b)] = a.min(b);
                }
                None => {
                    // A directory's includes are counted once: its result is reused.
                    owner.insert(c, t);
                    let includes = r.includes(&d);
                    for i in &includes {
                        *uses.entry(fs.canonical(i)).or_default() += 1;
                    }
                    stack.extend(includes);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for t in 0..tops.len() {
        groups.entry(root(&mut parent, t)).or_default().push(t);
    }
    Some((groups.into_values().collect(), uses))
}

/// The synthetic file of one rendered kustomization, with its provenance.
fn finish_rendered(dir: PathBuf, kdisplay: &str, ksrc: Source, res: &[render::Res]) -> Rendered {
    let nodes: Vec<&tree::RNode> = res.iter().map(|x| &x.node).collect();
    let tree::Emitted {
        text,
        provenance,
        documents,
    } = tree::emit(&nodes);
    let source = SourceFile::new(synthetic_path(kdisplay), text);
    let file = match documents {
        // The tree built while writing the stream: it need not be parsed again.
        Some(documents) => manifest::from_parsed(
            source,
            manifest::yaml::ParsedStream {
                documents,
                issues: Vec::new(),
            },
        ),
        None => manifest::from_source(source),
    };
    let objects = res
        .iter()
        .zip(&provenance.docs)
        .map(|(x, doc)| {
            let o = x.node.origin.clone().unwrap_or(Origin {
                source: x.defined_in.clone(),
                span: Span::empty(0),
                exact: false,
            });
            (*doc, o)
        })
        .collect();
    Rendered {
        dir,
        kustomization: ksrc,
        file,
        provenance,
        objects,
    }
}

impl Output {
    /// The rendered kustomization whose synthetic file is `source`.
    pub fn rendered_for(&self, source: &SourceFile) -> Option<&Rendered> {
        self.rendered
            .iter()
            .find(|r| std::ptr::eq(&*r.file.source, source))
    }

    /// The file and 1-based line that wrote the rendered text at `span` of `source`; `None`
    /// outside rendered files.
    pub fn origin_line(&self, source: &SourceFile, span: Span) -> Option<(String, usize)> {
        let o = self.rendered_for(source)?.provenance.lookup(span)?;
        Some((
            o.source.path.clone(),
            o.source.position(o.span.start()).line,
        ))
    }

    /// Where the object of a rendered file around `span` was defined (its resource file, or the
    /// kustomization of a generator); `None` outside rendered files.
    pub fn object_origin(&self, source: &SourceFile, span: Span) -> Option<Origin> {
        let r = self.rendered_for(source)?;
        r.objects
            .iter()
            .find(|(s, _)| s.start() <= span.start() && span.start() < s.end())
            .map(|(_, o)| o.clone())
    }

    /// The file and span that set the rendered text at `span` of a rendered file (the base
    /// line, patch line or kustomization field); `None` outside rendered files.
    pub fn origin(&self, source: &SourceFile, span: Span) -> Option<Origin> {
        let r = self.rendered_for(source)?;
        r.provenance
            .lookup(span)
            .or_else(|| self.object_origin(source, span))
    }
}

/// Map findings on rendered objects back to the lines that caused them.
pub fn remap(diags: Vec<Diagnostic>, out: &Output) -> Vec<Diagnostic> {
    let mut result: Vec<Diagnostic> = diags.into_iter().map(|d| remap_one(d, out)).collect();
    // The same base line found through several overlays is one finding with one label per overlay.
    crate::diagnostic::sort(&mut result);
    result
}

/// Map one finding on a rendered object back to the line that caused it (anything else is
/// returned as it is). Unlike [`remap`], findings of several overlays on one base line stay
/// apart (the diff tells overlays apart).
pub fn remap_one(mut d: Diagnostic, out: &Output) -> Diagnostic {
    let Some(r) = out.rendered_for(&d.location.source) else {
        return d;
    };
    let span = d.location.span;
    let base = r
        .objects
        .iter()
        .find(|(s, _)| s.start() <= span.start() && span.start() < s.end())
        .map(|(_, o)| o.clone());
    let Some(origin) = r.provenance.lookup(span).or_else(|| base.clone()) else {
        return d;
    };
    if let Some(w) = &mut d.waiver
        && std::ptr::eq(&*w.location.source, &*d.location.source)
        && let Some(o) = r.provenance.lookup(w.location.span)
    {
        // An annotation waiver on the rendered object: point at the line that wrote it.
        w.location = Location::new(&o.source, o.span);
    }
    let overlay = crate::load::display_path(&r.dir, Path::new(""));
    let overlay = r
        .kustomization
        .path
        .rsplit_once('/')
        .map_or(overlay, |(d, _)| d.to_string());
    d.location = Location::new(&origin.source, origin.span);
    if let Some(b) = &base
        && b.source.path != origin.source.path
    {
        let pos = origin.source.position(origin.span.start());
        d.message = format!(
            "{} (set by {}:{} on {})",
            d.message, origin.source.path, pos.line, b.source.path
        );
        d.labels.push(Label {
            location: Location::new(&b.source, first_line(&b.source, b.span)),
            message: format!("object defined in {}", b.source.path),
        });
    }
    d.labels.push(Label {
        location: Location::new(&r.kustomization, kind_span(&r.kustomization)),
        message: format!("rendered by the kustomization in {overlay}"),
    });
    if let Some(f) = &mut d.fix {
        let synthetic = &r.file.source;
        let mapped: Option<Vec<TextEdit>> = f
            .edits
            .iter()
            .map(|e| map_edit(synthetic, &r.provenance, e))
            .collect();
        match mapped {
            Some(edits) if !edits.is_empty() => f.edits = edits,
            _ => {
                f.edits.clear();
                f.applicability = Applicability::DisplayOnly;
            }
        }
    }
    d
}

/// Findings that are one finding on one line through several overlays — same fingerprint (rule,
/// file, object identity, path): the overlays render the object under the same name — merged
/// into the first, which gains the others' "rendered by" labels. For channels that show each
/// finding once per line (pull-request comments); the diff itself keeps overlays apart. Order
/// is kept.
pub fn merge_overlays(diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = Vec::with_capacity(diags.len());
    let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for d in diags {
        let fp = d.fingerprint();
        let rendered = d.labels.iter().any(|l| l.message.starts_with(RENDERED_BY));
        match at.get(&fp) {
            Some(&i) if rendered => {
                let first = &mut out[i];
                for l in d.labels {
                    if l.message.starts_with(RENDERED_BY)
                        && !first.labels.iter().any(|x| x.message == l.message)
                    {
                        first.labels.push(l);
                    }
                }
            }
            _ => {
                at.entry(fp).or_insert(out.len());
                out.push(d);
            }
        }
    }
    out
}

/// How the label naming the overlay of a rendered finding starts.
const RENDERED_BY: &str = "rendered by the kustomization in ";

/// Move a text edit on the synthetic stream into the file the edited text came from: the part
/// that changes must lie inside one emitted node whose text is a verbatim copy of its origin (a
/// scalar replaced in a patch or base); anything else (new keys, reformatted collections) has no
/// faithful edit in the original file and the fix is shown only.
fn map_edit(synthetic: &SourceFile, prov: &Provenance, e: &TextEdit) -> Option<TextEdit> {
    let old = synthetic.text.get(e.span.start()..e.span.end())?;
    let new = e.content.as_str();
    let prefix = old
        .char_indices()
        .zip(new.chars())
        .take_while(|((_, a), b)| a == b)
        .last()
        .map_or(0, |((i, a), _)| i + a.len_utf8());
    let suffix = old[prefix..]
        .chars()
        .rev()
        .zip(new[prefix..].chars().rev())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a.len_utf8())
        .sum::<usize>();
    let changed = Span::new(e.span.start() + prefix, e.span.end() - suffix);
    let (emitted, o) = prov.lookup_entry(changed)?;
    if !o.exact
        || synthetic.slice(emitted) != o.source.slice(o.span)
        || emitted.end() < changed.end()
        || emitted.start() < e.span.start()
        || emitted.end() > e.span.end()
    {
        return None;
    }
    // Replace the whole node (`true` → `false`), not just the characters that differ.
    let content = new
        .get(emitted.start() - e.span.start()..new.len() - (e.span.end() - emitted.end()))?
        .to_string();
    let span = o.span;
    Some(TextEdit {
        span,
        start: o.source.position(span.start()),
        end: o.source.position(span.end()),
        content,
    })
}

fn first_line(src: &SourceFile, span: Span) -> Span {
    let text = src.slice(span);
    let end = text.find('\n').map_or(span.end(), |i| span.start() + i);
    Span::new(span.start(), end)
}

fn kind_span(src: &SourceFile) -> Span {
    match src.text.find("kind:") {
        Some(i) => first_line(src, Span::new(i, src.text.len())),
        None => Span::empty(0),
    }
}

/// Replace the objects of member files by the rendered objects (member files keep their YAML
/// problems), so linting `files` lints each kustomization once, rendered. The rendered files
/// move into `files`; `out` keeps their sources for [`remap`]. The files' parsed documents,
/// which only rendering reads, are let go: a member file's trees with them.
pub fn absorb(files: &mut Vec<FileManifests>, out: &mut Output) {
    for f in files.iter_mut() {
        if out.member_paths.contains(&f.source.path) {
            f.objects = Vec::new();
            f.skipped.clear();
        }
        f.documents = Vec::new();
    }
    for r in &mut out.rendered {
        let empty = FileManifests {
            source: r.file.source.clone(),
            objects: Vec::new(),
            problems: Vec::new(),
            skipped: Vec::new(),
            documents: Vec::new(),
        };
        let mut file = std::mem::replace(&mut r.file, empty);
        file.documents = Vec::new();
        files.push(file);
    }
}

/// Render the kustomizations found among `inputs`/`paths` and put the rendered objects in
/// `files` in place of their members. Lint `files`, then pass the findings to [`finish`].
pub fn prepare(
    files: &mut Vec<FileManifests>,
    inputs: &[PathBuf],
    paths: &[PathBuf],
    cwd: &Path,
) -> Output {
    prepare_in(&files::Disk::new(cwd), files, inputs, paths)
}

/// Is there a kustomization among `inputs` and `paths` (as [`prepare`] would find it)?
pub fn any(inputs: &[PathBuf], paths: &[PathBuf], cwd: &Path) -> bool {
    !find_dirs_in(&files::Disk::new(cwd), inputs, paths).is_empty()
}

/// [`prepare`] reading files from `fs` (a git revision's tree, or the disk); `inputs` and
/// `paths` are paths as `fs` understands them.
pub fn prepare_in(
    fs: &dyn Files,
    files: &mut Vec<FileManifests>,
    inputs: &[PathBuf],
    paths: &[PathBuf],
) -> Output {
    let dirs = find_dirs_in(fs, inputs, paths);
    if dirs.is_empty() {
        return Output::default();
    }
    let mut out = render_all_loaded(fs, &dirs, files);
    absorb(files, &mut out);
    out
}

/// Map findings back to their lines and add the findings of rendering itself.
pub fn finish(diags: Vec<Diagnostic>, out: Output) -> Vec<Diagnostic> {
    if out.rendered.is_empty() && out.diagnostics.is_empty() {
        return diags;
    }
    let mut diags = remap(diags, &out);
    diags.extend(out.diagnostics);
    crate::diagnostic::sort(&mut diags);
    diags
}

/// Lint `files` plus the kustomizations found among `inputs`/`paths`: render, lint, remap.
pub fn lint(
    files: &mut Vec<FileManifests>,
    inputs: &[PathBuf],
    paths: &[PathBuf],
    cwd: &Path,
    rules: &[crate::policy::Rule],
    ctx: &crate::engine::Context,
) -> Vec<Diagnostic> {
    let out = prepare(files, inputs, paths, cwd);
    finish(crate::engine::lint(files, rules, ctx), out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three tops over one base (which includes a common directory): `b` also has a
    /// directory of its own, and `c` reaches the base twice, through `shared` and directly.
    fn repo() -> files::Memory {
        let files = [
            ("common/kustomization.yaml", "resources: [cm.yaml]"),
            (
                "common/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: common}",
            ),
            (
                "base/kustomization.yaml",
                "resources: [../common, svc.yaml]",
            ),
            (
                "base/svc.yaml",
                "apiVersion: v1\nkind: Service\nmetadata: {name: web}",
            ),
            (
                "shared/kustomization.yaml",
                "resources: [../base]\nnamePrefix: s-",
            ),
            ("own/kustomization.yaml", "resources: [sa.yaml]"),
            (
                "own/sa.yaml",
                "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: own}",
            ),
            (
                "a/kustomization.yaml",
                "resources: [../base]\nnamePrefix: a-",
            ),
            (
                "b/kustomization.yaml",
                "resources: [../base, ../own]\nnamespace: b",
            ),
            (
                "c/kustomization.yaml",
                "resources: [../shared, ../base]\nnameSuffix: -c",
            ),
        ];
        let mut m = files::Memory::default();
        for (path, text) in files {
            m.files.insert(path.into(), text.into());
        }
        m
    }

    #[test]
    fn counted_uses_render_the_same_and_keep_nothing_at_the_end() {
        let fs = repo();
        let tops: Vec<PathBuf> = ["a", "b", "c"].iter().map(PathBuf::from).collect();
        let top_refs: Vec<&PathBuf> = tops.iter().collect();
        let mut counted = render::Renderer::new(&fs);
        let (groups, uses) = reach(&mut counted, &top_refs).unwrap();
        assert_eq!(groups, vec![vec![0, 1, 2]]);
        let n = |d: &str| uses.get(Path::new(d)).copied();
        assert_eq!(
            [n("a"), n("base"), n("common"), n("own"), n("shared")],
            [Some(1), Some(4), Some(1), Some(1), Some(1)]
        );
        counted.uses = Some(uses);
        let mut uncounted = render::Renderer::new(&fs);
        for top in &tops {
            let json = |r: Vec<render::Res>| -> Vec<serde_json::Value> {
                r.iter().map(|x| x.node.to_json()).collect()
            };
            let (got, want) = (json(counted.render(top)), json(uncounted.render(top)));
            assert_eq!(got, want, "{}", top.display());
            assert!(!got.is_empty());
        }
        // Every kept result was taken by its last use; without counts, all are kept.
        assert_eq!(counted.kept(), 0);
        assert_eq!(uncounted.kept(), 4 + tops.len());
        // Rendering and absorbing them lets the files' parsed trees go: only rendering reads them.
        let mut files: Vec<FileManifests> = (fs.files.iter())
            .map(|(path, text)| manifest::read(path.as_str(), text.as_str()))
            .collect();
        let paths: Vec<PathBuf> = fs.files.keys().map(PathBuf::from).collect();
        let out = prepare_in(&fs, &mut files, &[], &paths);
        assert_eq!(out.rendered.len(), tops.len());
        for f in &files {
            assert!(f.documents.is_empty(), "{}", f.source.path);
            let member = out.member_paths.contains(&f.source.path);
            assert_eq!(f.objects.is_empty(), member, "{}", f.source.path);
        }
        // A use beyond the count builds again, with the same result.
        let again = counted.render(Path::new("a"));
        assert_eq!(again.len(), 2);
    }
}
