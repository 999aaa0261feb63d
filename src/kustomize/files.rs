//! Where the renderer reads files from: the disk ([`Disk`]) or anything else that can answer
//! four questions — read this file, is this a file, is this a directory, what is its canonical
//! path — and name a path for display. `load::git` implements [`Files`] over a revision's tree,
//! so overlays render at any commit straight from the object database, with no checkout and no
//! temporary copy. An implementation that threads may share says so ([`Files::as_sync`]), and
//! rendering then runs in parallel over it.
//!
//! Paths are whatever the implementation understands: the disk takes ordinary (relative or
//! absolute) paths; a git tree takes paths from the repository root (`overlays/prod`, `""` for
//! the root). The renderer only joins them lexically ([`super::render::join`]).

use std::path::{Path, PathBuf};

/// Read-only file access for rendering.
pub trait Files {
    /// The bytes of the file at `path`, or `None` when it is not a readable file.
    fn read(&self, path: &Path) -> Option<Vec<u8>>;
    /// Is `path` a file?
    fn is_file(&self, path: &Path) -> bool;
    /// Is `path` a directory?
    fn is_dir(&self, path: &Path) -> bool;
    /// The path with links resolved, to tell two spellings of one directory apart (the path
    /// itself where there are no links).
    fn canonical(&self, path: &Path) -> PathBuf {
        path.to_path_buf()
    }
    /// How `path` is shown in findings.
    fn display(&self, path: &Path) -> String;
    /// The same access as one that threads may share, where it is one (the disk and memory
    /// are; a git tree is not): rendering then probes and renders in parallel.
    fn as_sync(&self) -> Option<&(dyn Files + Sync)> {
        None
    }
}

/// The file system, paths shown relative to `cwd`.
#[derive(Debug, Clone, Default)]
pub struct Disk {
    /// Paths under this directory are shown relative to it.
    pub cwd: PathBuf,
}

impl Disk {
    /// The disk, displaying paths relative to `cwd`.
    pub fn new(cwd: &Path) -> Disk {
        Disk {
            cwd: cwd.to_path_buf(),
        }
    }
}

impl Files for Disk {
    fn read(&self, path: &Path) -> Option<Vec<u8>> {
        std::fs::read(path).ok()
    }
    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }
    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }
    fn canonical(&self, path: &Path) -> PathBuf {
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    }
    fn display(&self, path: &Path) -> String {
        crate::load::display_path(path, &self.cwd)
    }
    fn as_sync(&self) -> Option<&(dyn Files + Sync)> {
        Some(self)
    }
}

/// Files held in memory (path → text), for tests and callers that already have the texts.
#[derive(Debug, Clone, Default)]
pub struct Memory {
    /// The files, by path (`/` separators).
    pub files: std::collections::BTreeMap<String, String>,
}

fn key(path: &Path) -> String {
    path.to_string_lossy()
        .replace('\\', "/")
        .trim_end_matches('/')
        .to_string()
}

impl Files for Memory {
    fn read(&self, path: &Path) -> Option<Vec<u8>> {
        self.files.get(&key(path)).map(|t| t.as_bytes().to_vec())
    }
    fn is_file(&self, path: &Path) -> bool {
        self.files.contains_key(&key(path))
    }
    fn is_dir(&self, path: &Path) -> bool {
        let k = key(path);
        k.is_empty()
            || self
                .files
                .keys()
                .any(|f| f.len() > k.len() && f.starts_with(&k) && f.as_bytes()[k.len()] == b'/')
    }
    fn display(&self, path: &Path) -> String {
        key(path)
    }
    fn as_sync(&self) -> Option<&(dyn Files + Sync)> {
        Some(self)
    }
}
