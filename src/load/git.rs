//! Reading manifests at any git revision straight from the object database (libgit2, no
//! checkout), so `lint --rev` and `diff` work in bare clones, linked worktrees and CI checkouts
//! alike. The working tree counts as one more revision: uncommitted edits and untracked files
//! that `.gitignore` does not hide.
//!
//! Each tree object is read and parsed once per [`GitRepo`] (a cache by tree id), so the two
//! revisions of a diff share every unchanged directory, and [`RevFiles`] answers the renderer's
//! "is this a file / a directory" from one listing of the whole tree rather than a path lookup
//! per question. `git2::Repository` is not `Sync`, so [`GitRepo::load`] opens one repository
//! handle per worker thread and reads and parses blobs in parallel. Like git itself, objects are
//! not re-hashed on every read (libgit2's strict hash verification is off): integrity is
//! `git fsck`'s job. Every file carries the id of its blob — for the working tree, the id git
//! would give it — so callers can tell in O(1) that a file is byte-identical at two revisions and
//! parse or lint it once.

use super::fs::{self, Loaded, ReadError};
use crate::manifest;
use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};
use rayon::prelude::*;
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// A git failure, with what to do about it when we know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitError {
    /// What went wrong.
    pub message: String,
    /// How to fix it, if known.
    pub hint: Option<String>,
}

impl GitError {
    fn new(message: impl Into<String>) -> Self {
        GitError {
            message: message.into(),
            hint: None,
        }
    }
}

impl std::fmt::Display for GitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {}", h.replace('\n', "\n        "))?;
        }
        Ok(())
    }
}

impl std::error::Error for GitError {}

/// The advice for a commit missing from a shallow clone.
pub const SHALLOW_HINT: &str = "this clone is shallow (fetched with --depth), so older commits are not in it.\n\
In GitHub Actions, set `fetch-depth: 0` on actions/checkout; locally, run `git fetch --deepen=100` (repeat as needed) or `git fetch --unshallow`.";

/// A revision to read manifests from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rev {
    /// A commit (its tree is read from the object database).
    Commit(Oid),
    /// The working tree: what is on disk, including uncommitted and untracked files.
    WorkTree,
}

/// A revision with the names it was given, for reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevInfo {
    /// The revision.
    pub rev: Rev,
    /// What the user wrote (`main`, `HEAD~1`, `merge-base(origin/main, HEAD)`, `working tree`).
    pub spec: String,
    /// Full commit id (absent for the working tree).
    pub commit: Option<String>,
    /// First line of the commit message.
    pub summary: Option<String>,
}

impl RevInfo {
    /// `spec (abc1234)` or `working tree`.
    pub fn label(&self) -> String {
        match &self.commit {
            Some(c) if self.spec.starts_with(&c[..7.min(c.len())]) => {
                c[..12.min(c.len())].to_string()
            }
            Some(c) => format!("{} ({})", self.spec, &c[..12.min(c.len())]),
            None => self.spec.clone(),
        }
    }
}

/// One manifest file at a revision.
#[derive(Debug, Clone)]
pub struct FileEntry {
    /// Path from the repository root, `/` separators.
    pub path: String,
    /// Blob id (for the working tree: the id git would give the file's bytes).
    pub oid: Oid,
    /// Already-read content (working tree files), or `None` to read the blob.
    pub text: Option<Result<String, String>>,
}

/// One entry of a tree object: name (`None` when not UTF-8), kind, file mode, id.
struct RawEntry {
    name: Option<String>,
    kind: Option<ObjectType>,
    mode: i32,
    oid: Oid,
}

/// The mode git gives symbolic links.
const SYMLINK_MODE: i32 = 0o120000;

/// A tree object's entries, in tree order, and (built on first lookup) by name.
struct Listing {
    entries: Vec<RawEntry>,
    by_name: OnceCell<HashMap<String, usize>>,
}

impl Listing {
    /// The entry called `name`.
    fn get(&self, name: &str) -> Option<&RawEntry> {
        let by_name = self.by_name.get_or_init(|| {
            self.entries
                .iter()
                .enumerate()
                .filter_map(|(i, e)| Some((e.name.clone()?, i)))
                .collect()
        });
        by_name.get(name).map(|i| &self.entries[*i])
    }
}

/// An open repository.
pub struct GitRepo {
    repo: Repository,
    workdir: Option<PathBuf>,
    prefix: String,
    /// Tree objects read so far, by id (revisions share their unchanged directories).
    trees: RefCell<HashMap<Oid, Rc<Listing>>>,
}

impl std::fmt::Debug for GitRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitRepo")
            .field("path", &self.repo.path())
            .field("workdir", &self.workdir)
            .field("prefix", &self.prefix)
            .finish()
    }
}

fn normalize(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn utf8(bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|_| "not valid UTF-8".to_string())
}

/// Is `path` inside one of the `scope` prefixes (empty scope: everything)?
pub fn in_scope(path: &str, scope: &[String]) -> bool {
    scope.is_empty()
        || scope.iter().any(|s| {
            s.is_empty()
                || path == s
                || (path.starts_with(s.as_str()) && path.as_bytes().get(s.len()) == Some(&b'/'))
        })
}

/// Could a directory contain paths in `scope`?
fn dir_in_scope(dir: &str, scope: &[String]) -> bool {
    scope.is_empty()
        || scope
            .iter()
            .any(|s| in_scope(dir, std::slice::from_ref(s)) || in_scope(s, &[dir.to_string()]))
}

impl GitRepo {
    /// Open the repository containing `start` (a work tree, a linked worktree or a bare clone).
    pub fn discover(start: &Path) -> Result<GitRepo, GitError> {
        let repo = Repository::discover(start).map_err(|e| {
            let mut err = GitError::new(format!(
                "{} is not inside a git repository ({})",
                start.display(),
                e.message()
            ));
            err.hint =
                Some("run accord in a clone of the repository, or lint files without --rev".into());
            err
        })?;
        let workdir = repo.workdir().map(normalize);
        let prefix = match &workdir {
            Some(w) => {
                let here = normalize(start);
                here.strip_prefix(w)
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_default()
            }
            None => String::new(),
        };
        // As git does, trust the object database instead of re-hashing every object read.
        git2::opts::strict_hash_verification(false);
        Ok(GitRepo {
            repo,
            workdir,
            prefix,
            trees: RefCell::new(HashMap::new()),
        })
    }

    /// The entries of tree `oid` (read once, then from the cache).
    fn tree_entries(&self, oid: Oid) -> Result<Rc<Listing>, git2::Error> {
        if let Some(t) = self.trees.borrow().get(&oid) {
            return Ok(t.clone());
        }
        let tree = self.repo.find_tree(oid)?;
        let listing = Rc::new(Listing {
            entries: tree
                .iter()
                .map(|e| RawEntry {
                    name: e.name().ok().map(str::to_string),
                    kind: e.kind(),
                    mode: e.filemode(),
                    oid: e.id(),
                })
                .collect(),
            by_name: OnceCell::new(),
        });
        self.trees.borrow_mut().insert(oid, listing.clone());
        Ok(listing)
    }

    /// The root tree of commit `oid`.
    fn commit_tree(&self, oid: Oid) -> Result<Oid, GitError> {
        self.repo
            .find_commit(oid)
            .map(|c| c.tree_id())
            .map_err(|e| self.missing(&oid.to_string(), &e))
    }

    /// Walk tree `oid` (at `prefix`, `""` or ending in `/`) in pre-order, as libgit2's walk does:
    /// `visit(path, entry)` returns whether to descend into a subtree; entries whose name is not
    /// UTF-8 are skipped.
    fn walk(
        &self,
        oid: Oid,
        prefix: &str,
        visit: &mut dyn FnMut(&str, &RawEntry) -> bool,
    ) -> Result<(), git2::Error> {
        let listing = self.tree_entries(oid)?;
        for e in &listing.entries {
            let Some(name) = &e.name else { continue };
            let path = format!("{prefix}{name}");
            if visit(&path, e) && e.kind == Some(ObjectType::Tree) {
                self.walk(e.oid, &format!("{path}/"), visit)?;
            }
        }
        Ok(())
    }

    /// The underlying libgit2 repository.
    pub fn raw(&self) -> &Repository {
        &self.repo
    }

    /// The working directory (`None` in a bare repository).
    pub fn workdir(&self) -> Option<&Path> {
        self.workdir.as_deref()
    }

    /// The directory accord was started in, relative to the repository root (`""` at the root).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Is this a shallow clone?
    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow()
    }

    /// A file-system path (absolute, or relative to the starting directory) as a path from the
    /// repository root, when it is inside the working directory.
    pub fn repo_path(&self, p: &Path, cwd: &Path) -> Option<String> {
        let w = self.workdir.as_ref()?;
        let abs = if p.is_absolute() {
            p.to_path_buf()
        } else {
            cwd.join(p)
        };
        let mut out: Vec<String> = Vec::new();
        let abs = if abs.exists() {
            normalize(&abs)
        } else {
            normalize_lexically(&abs)
        };
        let rel = abs
            .strip_prefix(w)
            .ok()
            .or_else(|| abs.strip_prefix(normalize(w)).ok())?;
        for c in rel.components() {
            out.push(c.as_os_str().to_string_lossy().to_string());
        }
        Some(out.join("/"))
    }

    fn missing(&self, what: &str, e: &git2::Error) -> GitError {
        let mut err = GitError::new(format!("unknown revision `{what}`: {}", e.message()));
        if self.repo.is_shallow() {
            err.message = format!("revision `{what}` is not in this clone");
            err.hint = Some(SHALLOW_HINT.into());
        }
        err
    }

    /// Resolve a revision (`main`, `HEAD~2`, a commit id, a tag) to a commit.
    pub fn resolve(&self, spec: &str) -> Result<RevInfo, GitError> {
        let obj = self
            .repo
            .revparse_single(spec)
            .map_err(|e| self.missing(spec, &e))?;
        let commit = obj
            .peel_to_commit()
            .map_err(|e| GitError::new(format!("`{spec}` is not a commit: {}", e.message())))?;
        // A shallow clone has the boundary commit but not its parents: make sure the tree is there.
        commit.tree().map_err(|e| self.missing(spec, &e))?;
        Ok(RevInfo {
            rev: Rev::Commit(commit.id()),
            spec: spec.to_string(),
            commit: Some(commit.id().to_string()),
            summary: commit.summary().ok().flatten().map(str::to_string),
        })
    }

    /// The working tree as a revision.
    pub fn worktree(&self) -> Result<RevInfo, GitError> {
        if self.workdir.is_none() {
            return Err(GitError {
                message: "this repository is bare: it has no working tree".into(),
                hint: Some("name both revisions, e.g. `accord diff main..feature`".into()),
            });
        }
        Ok(RevInfo {
            rev: Rev::WorkTree,
            spec: "working tree".into(),
            commit: None,
            summary: None,
        })
    }

    /// The best common ancestor of two commits (what a GitHub pull request diffs against).
    pub fn merge_base(&self, a: &RevInfo, b: &RevInfo) -> Result<RevInfo, GitError> {
        let (Rev::Commit(x), Rev::Commit(y)) = (a.rev, b.rev) else {
            return Err(GitError::new("a merge base needs two commits"));
        };
        let base = self.repo.merge_base(x, y).map_err(|e| {
            let mut err = GitError::new(format!(
                "no common ancestor of `{}` and `{}` ({})",
                a.spec,
                b.spec,
                e.message()
            ));
            if self.repo.is_shallow() {
                err.message = format!(
                    "the common ancestor of `{}` and `{}` is not in this clone",
                    a.spec, b.spec
                );
                err.hint = Some(SHALLOW_HINT.into());
            }
            err
        })?;
        let c = self
            .repo
            .find_commit(base)
            .map_err(|e| self.missing(&base.to_string(), &e))?;
        Ok(RevInfo {
            rev: Rev::Commit(base),
            spec: format!("merge-base({}, {})", a.spec, b.spec),
            commit: Some(base.to_string()),
            summary: c.summary().ok().flatten().map(str::to_string),
        })
    }

    /// The default branch: what `origin/HEAD` points to, else `main`, `master`, `origin/main`,
    /// `origin/master`, whichever exists first.
    pub fn default_branch(&self) -> Result<RevInfo, GitError> {
        if let Ok(r) = self.repo.find_reference("refs/remotes/origin/HEAD")
            && let Ok(Some(target)) = r.symbolic_target()
        {
            let short = target
                .strip_prefix("refs/remotes/")
                .unwrap_or(target)
                .to_string();
            if let Ok(info) = self.resolve(&short) {
                return Ok(info);
            }
        }
        for name in ["main", "master", "origin/main", "origin/master"] {
            let full = if name.starts_with("origin/") {
                format!("refs/remotes/{name}")
            } else {
                format!("refs/heads/{name}")
            };
            if self.repo.find_reference(&full).is_ok() {
                return self.resolve(name);
            }
        }
        Err(GitError {
            message: "cannot find the default branch (no origin/HEAD, main or master)".into(),
            hint: Some(
                "name the base revision, e.g. `accord diff develop` or `accord diff BASE..HEAD`"
                    .into(),
            ),
        })
    }

    /// Parse a diff range: `BASE..HEAD`, `BASE...HEAD` (from their merge base), `REV` (REV to
    /// the working tree), or nothing (merge base of the default branch and `HEAD`, to the working
    /// tree). An empty side of `..` / `...` means `HEAD`, as in git.
    pub fn range(&self, spec: Option<&str>) -> Result<(RevInfo, RevInfo), GitError> {
        let Some(spec) = spec.map(str::trim).filter(|s| !s.is_empty()) else {
            let default = self.default_branch()?;
            let head = self.resolve("HEAD")?;
            let base = if default.commit == head.commit {
                head
            } else {
                self.merge_base(&default, &head)?
            };
            return Ok((base, self.worktree()?));
        };
        let side = |s: &str| {
            if s.is_empty() {
                "HEAD".to_string()
            } else {
                s.to_string()
            }
        };
        if let Some((a, b)) = spec.split_once("...") {
            let (a, b) = (self.resolve(&side(a))?, self.resolve(&side(b))?);
            return Ok((self.merge_base(&a, &b)?, b));
        }
        if let Some((a, b)) = spec.split_once("..") {
            return Ok((self.resolve(&side(a))?, self.resolve(&side(b))?));
        }
        Ok((self.resolve(spec)?, self.worktree()?))
    }

    /// The manifest files (by extension) at `rev` under the `scope` prefixes (paths from the
    /// repository root; empty: everything), sorted by path.
    pub fn files(&self, rev: Rev, scope: &[String]) -> Result<Vec<FileEntry>, GitError> {
        let mut out = Vec::new();
        match rev {
            Rev::Commit(oid) => {
                let tree = self.commit_tree(oid)?;
                self.walk(tree, "", &mut |path, entry| match entry.kind {
                    Some(ObjectType::Tree) => dir_in_scope(path, scope),
                    Some(ObjectType::Blob) if entry.mode != SYMLINK_MODE => {
                        let name = entry.name.as_deref().unwrap_or_default();
                        if fs::wanted(Path::new(name)) && in_scope(path, scope) {
                            out.push(FileEntry {
                                path: path.to_string(),
                                oid: entry.oid,
                                text: None,
                            });
                        }
                        false
                    }
                    _ => false,
                })
                .map_err(|e| {
                    GitError::new(format!("cannot read the tree of {oid}: {}", e.message()))
                })?;
            }
            Rev::WorkTree => {
                let Some(w) = &self.workdir else {
                    return Err(self
                        .worktree()
                        .err()
                        .unwrap_or_else(|| GitError::new("bare repository")));
                };
                let inputs: Vec<PathBuf> = if scope.is_empty() {
                    vec![w.clone()]
                } else {
                    scope
                        .iter()
                        .map(|s| w.join(s))
                        .filter(|p| p.exists())
                        .collect()
                };
                let mut errors = Vec::new();
                let paths = fs::discover(&inputs, &mut errors, w);
                let mut read: Vec<FileEntry> = paths
                    .par_iter()
                    .filter_map(|p| {
                        let rel = p.strip_prefix(w).ok()?.to_string_lossy().replace('\\', "/");
                        let bytes = std::fs::read(p);
                        Some(match bytes {
                            Ok(b) => {
                                let oid = Oid::hash_object(ObjectType::Blob, &b)
                                    .unwrap_or(Oid::ZERO_SHA1);
                                FileEntry {
                                    path: rel,
                                    oid,
                                    text: Some(utf8(b)),
                                }
                            }
                            Err(e) => FileEntry {
                                path: rel,
                                oid: Oid::ZERO_SHA1,
                                text: Some(Err(e.to_string())),
                            },
                        })
                    })
                    .collect();
                out.append(&mut read);
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// The text of a blob.
    pub fn blob_text(&self, oid: Oid) -> Result<String, String> {
        read_blob(&self.repo, oid)
    }

    /// Read one file at `rev` (`Ok(None)` when it does not exist there).
    pub fn read(&self, rev: Rev, path: &str) -> Result<Option<String>, String> {
        match rev {
            Rev::Commit(oid) => {
                let tree = self
                    .repo
                    .find_commit(oid)
                    .and_then(|c| c.tree())
                    .map_err(|e| e.message().to_string())?;
                match tree.get_path(Path::new(path)) {
                    Ok(entry) if entry.kind() == Some(ObjectType::Blob) => {
                        self.blob_text(entry.id()).map(Some)
                    }
                    Ok(_) => Ok(None),
                    Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
                    Err(e) => Err(e.message().to_string()),
                }
            }
            Rev::WorkTree => {
                let Some(w) = &self.workdir else {
                    return Ok(None);
                };
                let p = w.join(path);
                if !p.is_file() {
                    return Ok(None);
                }
                std::fs::read(&p)
                    .map_err(|e| e.to_string())
                    .and_then(utf8)
                    .map(Some)
            }
        }
    }

    /// Paths of files under directory `dir` at `rev`, recursively (sorted).
    pub fn list(&self, rev: Rev, dir: &str) -> Result<Vec<String>, String> {
        let dir = dir.trim_end_matches('/');
        match rev {
            Rev::Commit(oid) => {
                let tree = self
                    .repo
                    .find_commit(oid)
                    .and_then(|c| c.tree())
                    .map_err(|e| e.message().to_string())?;
                let sub = if dir.is_empty() {
                    tree
                } else {
                    let entry = tree
                        .get_path(Path::new(dir))
                        .map_err(|_| "no such directory".to_string())?;
                    self.repo
                        .find_tree(entry.id())
                        .map_err(|_| "not a directory".to_string())?
                };
                let mut out = Vec::new();
                sub.walk(TreeWalkMode::PreOrder, |root, entry| {
                    if entry.kind() == Some(ObjectType::Blob)
                        && let Ok(name) = entry.name()
                    {
                        out.push(if dir.is_empty() {
                            format!("{root}{name}")
                        } else {
                            format!("{dir}/{root}{name}")
                        });
                    }
                    TreeWalkResult::Ok
                })
                .map_err(|e| e.message().to_string())?;
                out.sort();
                Ok(out)
            }
            Rev::WorkTree => {
                let w = self.workdir.as_ref().ok_or("bare repository")?;
                let root = w.join(dir);
                if !root.is_dir() {
                    return Err("no such directory".into());
                }
                let mut out = Vec::new();
                let mut stack = vec![root];
                while let Some(d) = stack.pop() {
                    for e in std::fs::read_dir(&d).map_err(|e| e.to_string())?.flatten() {
                        let p = e.path();
                        if p.is_dir() {
                            stack.push(p);
                        } else if let Ok(rel) = p.strip_prefix(w) {
                            out.push(rel.to_string_lossy().replace('\\', "/"));
                        }
                    }
                }
                out.sort();
                Ok(out)
            }
        }
    }

    /// Read and parse `entries`, in parallel (one repository handle per worker); each file is
    /// shown as `display(path)`.
    pub fn load(
        &self,
        entries: Vec<FileEntry>,
        display: &(dyn Fn(&str) -> String + Sync),
    ) -> Loaded {
        let gitdir = self.repo.path().to_path_buf();
        let results: Vec<Result<manifest::FileManifests, ReadError>> = entries
            .into_par_iter()
            .map_init(OnceCell::<Result<Repository, String>>::new, |handle, e| {
                let text = match e.text {
                    Some(t) => t,
                    None => handle
                        .get_or_init(|| Repository::open(&gitdir).map_err(|e| e.message().into()))
                        .as_ref()
                        .map_err(|m| format!("cannot read blob {}: {m}", e.oid))
                        .and_then(|r| read_blob(r, e.oid)),
                };
                parse_one(&e.path, text, display)
            })
            .collect();
        collect_loaded(results)
    }
}

/// The text of blob `oid` in `repo`.
fn read_blob(repo: &Repository, oid: Oid) -> Result<String, String> {
    let blob = repo
        .find_blob(oid)
        .map_err(|e| format!("cannot read blob {oid}: {}", e.message()))?;
    String::from_utf8(blob.content().to_vec()).map_err(|_| "not valid UTF-8".to_string())
}

/// The files of one revision as the kustomize renderer reads them ([`crate::kustomize::files`]):
/// paths from the repository root, read from the commit's tree in the object database (or from
/// the working directory for [`Rev::WorkTree`]), never copied anywhere.
pub struct RevFiles<'r> {
    repo: &'r GitRepo,
    /// The root tree (`None`: the working tree).
    tree: Option<Oid>,
    display: Box<dyn Fn(&str) -> String + 'r>,
}

impl std::fmt::Debug for RevFiles<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevFiles")
            .field("tree", &self.tree)
            .finish()
    }
}

impl<'r> RevFiles<'r> {
    /// The files at `rev`, shown as `display(path from the root)`.
    pub fn new(
        repo: &'r GitRepo,
        rev: Rev,
        display: impl Fn(&str) -> String + 'r,
    ) -> Result<RevFiles<'r>, GitError> {
        let tree = match rev {
            Rev::Commit(oid) => Some(repo.commit_tree(oid)?),
            Rev::WorkTree => {
                if repo.workdir.is_none() {
                    return Err(repo
                        .worktree()
                        .err()
                        .unwrap_or_else(|| GitError::new("bare repository")));
                }
                None
            }
        };
        Ok(RevFiles {
            repo,
            tree,
            display: Box::new(display),
        })
    }

    fn key(path: &Path) -> String {
        path.to_string_lossy()
            .replace('\\', "/")
            .trim_end_matches('/')
            .to_string()
    }

    /// The entry at `path`, looked up one directory at a time in the cached trees (as
    /// `git_tree_entry_bypath` does: no `.`, `..` or empty components).
    fn entry(&self, path: &Path) -> Option<(ObjectType, Oid)> {
        let root = self.tree?;
        let key = Self::key(path);
        if key.is_empty() || key == "." {
            return Some((ObjectType::Tree, root));
        }
        let (mut kind, mut oid, mut mode) = (Some(ObjectType::Tree), root, 0);
        for name in key.split('/') {
            if kind != Some(ObjectType::Tree) {
                return None;
            }
            let listing = self.repo.tree_entries(oid).ok()?;
            let e = listing.get(name)?;
            (kind, oid, mode) = (e.kind, e.oid, e.mode);
        }
        // Symbolic links are not followed (their blob is the link target).
        if mode == SYMLINK_MODE {
            return None;
        }
        Some((kind?, oid))
    }

    fn disk(&self, path: &Path) -> Option<PathBuf> {
        let w = self.repo.workdir.as_ref()?;
        let key = Self::key(path);
        if key.starts_with("../") || key == ".." || Path::new(&key).is_absolute() {
            return None;
        }
        Some(w.join(key))
    }
}

impl crate::kustomize::files::Files for RevFiles<'_> {
    fn read(&self, path: &Path) -> Option<Vec<u8>> {
        if self.tree.is_none() {
            return std::fs::read(self.disk(path)?).ok();
        }
        match self.entry(path)? {
            (ObjectType::Blob, oid) => Some(self.repo.repo.find_blob(oid).ok()?.content().to_vec()),
            _ => None,
        }
    }
    fn is_file(&self, path: &Path) -> bool {
        if self.tree.is_none() {
            return self.disk(path).is_some_and(|p| p.is_file());
        }
        matches!(self.entry(path), Some((ObjectType::Blob, _)))
    }
    fn is_dir(&self, path: &Path) -> bool {
        if self.tree.is_none() {
            return self.disk(path).is_some_and(|p| p.is_dir());
        }
        matches!(self.entry(path), Some((ObjectType::Tree, _)))
    }
    fn display(&self, path: &Path) -> String {
        (self.display)(&Self::key(path))
    }
}

/// Parse already-read texts in parallel into a [`Loaded`], sorted by display path.
pub fn parse_texts(
    texts: Vec<(String, Result<String, String>)>,
    display: &(dyn Fn(&str) -> String + Sync),
) -> Loaded {
    let results: Vec<Result<manifest::FileManifests, ReadError>> = texts
        .into_par_iter()
        .map(|(path, text)| parse_one(&path, text, display))
        .collect();
    collect_loaded(results)
}

/// Parse one read file (or keep why it could not be read).
fn parse_one(
    path: &str,
    text: Result<String, String>,
    display: &(dyn Fn(&str) -> String + Sync),
) -> Result<manifest::FileManifests, ReadError> {
    match text {
        Ok(t) => Ok(manifest::read(display(path), t)),
        Err(message) => Err(ReadError {
            file: display(path),
            message,
        }),
    }
}

/// Parsed files and read errors, each sorted by display path.
fn collect_loaded(results: Vec<Result<manifest::FileManifests, ReadError>>) -> Loaded {
    let mut out = Loaded::default();
    for r in results {
        match r {
            Ok(f) => out.files.push(f),
            Err(e) => out.errors.push(e),
        }
    }
    out.files.sort_by(|a, b| a.source.path.cmp(&b.source.path));
    out.errors.sort_by(|a, b| a.file.cmp(&b.file));
    out
}

/// Resolve `.` and `..` without touching the file system.
fn normalize_lexically(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes() {
        assert!(in_scope("a/b.yaml", &[]));
        assert!(in_scope("a/b.yaml", &["a".into()]));
        assert!(!in_scope("ab/b.yaml", &["a".into()]));
        assert!(in_scope("a/b.yaml", &["a/b.yaml".into()]));
        assert!(dir_in_scope("a", &["a/b".into()]));
        assert!(dir_in_scope("a/b/c", &["a/b".into()]));
        assert!(!dir_in_scope("x", &["a/b".into()]));
    }
}
