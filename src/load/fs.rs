//! Finding and reading manifest files on the file system: paths, directories (walked in
//! parallel, honouring `.gitignore`), and `-` for standard input.
//!
//! Reading and parsing run in parallel, largest files first (so one big file does not finish
//! alone at the end); the result is sorted by path so everything downstream is deterministic.
//! A file that cannot be read is reported in [`Loaded::errors`] and the rest are still loaded.

use crate::manifest::{self, FileManifests};
use globset::GlobSet;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Extensions accord reads.
pub const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

/// A file that could not be read.
pub type ReadError = crate::diagnostic::InputError;

/// Everything loaded for one run.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Parsed files, sorted by path.
    pub files: Vec<FileManifests>,
    /// Files that could not be read.
    pub errors: Vec<ReadError>,
}

/// Path filter from config include/exclude globs (matched on display paths).
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Only these (when set).
    pub include: Option<GlobSet>,
    /// Never these.
    pub exclude: Option<GlobSet>,
}

impl Filter {
    /// Should `display` be linted?
    pub fn accepts(&self, display: &str) -> bool {
        self.include.as_ref().is_none_or(|s| s.is_match(display))
            && !self.exclude.as_ref().is_some_and(|s| s.is_match(display))
    }
}

/// Path as shown to users: relative to `cwd` when below it, `/` separators.
pub fn display_path(path: &Path, cwd: &Path) -> String {
    let rel = path.strip_prefix(cwd).unwrap_or(path);
    let s = rel.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// The text of the file at `path`, which must be UTF-8.
pub fn read_text(path: &Path) -> std::io::Result<String> {
    utf8(std::fs::read(path)?)
}

/// [`read_text`] of a file of `size` bytes (as found when discovering it). The buffer is sized
/// from it, which spares `std::fs::read`'s own `fstat` of every file; a file that changed size
/// since is still read whole.
fn read_text_sized(path: &Path, size: u64) -> std::io::Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    // One byte more: the read that finds the end then needs no larger buffer.
    let mut bytes = Vec::new();
    let want = usize::try_from(size).map_or(usize::MAX, |n| n.saturating_add(1));
    bytes
        .try_reserve_exact(want)
        .map_err(std::io::Error::other)?;
    // `Take` reads with the generic loop, which asks the file nothing but reads.
    file.take(u64::MAX).read_to_end(&mut bytes)?;
    utf8(bytes)
}

fn utf8(bytes: Vec<u8>) -> std::io::Result<String> {
    String::from_utf8(bytes).map_err(|_| std::io::Error::other("not valid UTF-8"))
}

/// Is this a file accord reads (a manifest extension, and not the config file)?
pub fn wanted(p: &Path) -> bool {
    let is_config = p
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| crate::config::FILE_NAMES.contains(&n));
    !is_config
        && p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Expand the inputs into a sorted list of files (directories walked in parallel).
pub fn discover(inputs: &[PathBuf], errors: &mut Vec<ReadError>, cwd: &Path) -> Vec<PathBuf> {
    let found = Mutex::new(Vec::new());
    for input in inputs {
        if input.as_os_str() == "-" {
            found.lock().expect("lock").push(input.clone());
            continue;
        }
        if input.is_file() {
            found.lock().expect("lock").push(input.clone());
            continue;
        }
        if !input.exists() {
            errors.push(ReadError {
                file: display_path(input, cwd),
                message: "no such file or directory".into(),
            });
            continue;
        }
        let walker = ignore::WalkBuilder::new(input)
            .hidden(false)
            .git_ignore(true)
            .git_exclude(true)
            .require_git(false)
            .build_parallel();
        walker.run(|| {
            let found = &found;
            Box::new(move |entry| {
                if let Ok(e) = entry
                    && e.file_type().is_some_and(|t| t.is_file())
                    && wanted(e.path())
                    && !e.path().components().any(|c| c.as_os_str() == ".git")
                {
                    found.lock().expect("lock").push(e.into_path());
                }
                ignore::WalkState::Continue
            })
        });
    }
    let mut v = found.into_inner().expect("lock");
    v.sort_by_cached_key(|p| component_key(p));
    v.dedup();
    v
}

/// A byte string that sorts as `path` does among `Path`s (component by component, as
/// `Path::cmp`), which is slow to call for every comparison of a large sort: per component, its
/// kind (in `Component`'s order) and its bytes, then a 0 (which no component holds, so a
/// component that is a prefix of another sorts first, as in `OsStr`'s order).
fn component_key(path: &Path) -> Vec<u8> {
    use std::path::Component;
    let mut key = Vec::with_capacity(path.as_os_str().len() + 16);
    for c in path.components() {
        let kind = match c {
            Component::Prefix(_) => 1,
            Component::RootDir => 2,
            Component::CurDir => 3,
            Component::ParentDir => 4,
            Component::Normal(_) => 5,
        };
        key.push(kind);
        key.extend_from_slice(c.as_os_str().as_encoded_bytes());
        key.push(0);
    }
    key
}

/// The sizes of the files at `paths`, in bytes (unreadable ones count 0), for [`load_sized`]
/// and [`load_map`] to read the largest first.
pub fn sizes(paths: &[PathBuf]) -> Vec<u64> {
    paths
        .par_iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .collect()
}

/// Read and parse files in parallel.
pub fn load(paths: &[PathBuf], cwd: &Path, filter: &Filter) -> Loaded {
    load_sized(paths, &sizes(paths), cwd, filter)
}

/// [`load`], given the files' [`sizes`].
pub fn load_sized(paths: &[PathBuf], sizes: &[u64], cwd: &Path, filter: &Filter) -> Loaded {
    let (files, errors) = load_map(paths, sizes, cwd, filter, |_, f| f);
    Loaded { files, errors }
}

/// [`load`], passing each file to `step` on the thread that parsed it, while its tree is still
/// in the cache (a streaming lint checks it there and keeps only what later steps need), with
/// the path it was read from (`None` for standard input, which cannot be read again).
/// Results come back sorted by path, like [`Loaded::files`], with the read errors.
pub fn load_map<T: Send>(
    paths: &[PathBuf],
    sizes: &[u64],
    cwd: &Path,
    filter: &Filter,
    step: impl Fn(Option<&Path>, FileManifests) -> T + Sync,
) -> (Vec<T>, Vec<ReadError>) {
    // Largest files first: threads split the list and steal from each other, and a
    // multi-megabyte file picked up last would leave the other cores idle at the end.
    let mut order: Vec<(u64, usize)> = (0..paths.len())
        .map(|i| (sizes.get(i).copied().unwrap_or(0), i))
        .collect();
    order.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    // An indexed collect, written straight into one vector (a filtered one gathers pieces and
    // copies them, holding the results twice), sorted where it is and then turned into the
    // results in place: at the end of a streaming lint's first pass, when everything it keeps
    // is in memory, no second copy of the files' results is made.
    type Read<T> = Option<(String, usize, Result<T, ReadError>)>;
    let mut results: Vec<Read<T>> = order
        .par_iter()
        .with_max_len(1)
        .map(|&(_, i)| {
            let p = &paths[i];
            let display = if p.as_os_str() == "-" {
                "<stdin>".to_string()
            } else {
                display_path(p, cwd)
            };
            if p.as_os_str() != "-" && !filter.accepts(&display) {
                return None;
            }
            let stdin = p.as_os_str() == "-";
            let text = if stdin {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map(|_| s)
            } else {
                read_text_sized(p, sizes.get(i).copied().unwrap_or(0))
            };
            let origin = (!stdin).then_some(p.as_path());
            Some(match text {
                Ok(t) => {
                    let step = step(origin, manifest::read(display.clone(), t));
                    (display, i, Ok(step))
                }
                Err(e) => {
                    let e = ReadError {
                        file: display.clone(),
                        message: e.to_string(),
                    };
                    (display, i, Err(e))
                }
            })
        })
        .collect();
    // By path (then input position, for the same path given twice): the order is worked out
    // on the pool, on positions, then the results are moved into it in place, each once.
    let keys: Vec<Option<(&str, usize)>> = (results.iter())
        .map(|r| r.as_ref().map(|(path, i, _)| (path.as_str(), *i)))
        .collect();
    let mut order: Vec<usize> = (0..results.len()).collect();
    order.par_sort_unstable_by(|&a, &b| keys[a].cmp(&keys[b]));
    drop(keys);
    crate::diagnostic::permute(&mut results, order);
    let mut errors = Vec::new();
    let files: Vec<T> = results
        .into_iter()
        .filter_map(|r| r.and_then(|(_, _, r)| r.map_err(|e| errors.push(e)).ok()))
        .collect();
    (files, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_file_is_read_whole_whatever_size_was_found_for_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("a.yaml");
        let text = "kind: ConfigMap\nmetadata: {name: é}\n".repeat(300);
        std::fs::write(&path, &text).expect("write");
        let len = text.len() as u64;
        for size in [0, 1, len - 1, len, len + 1, 1 << 20] {
            assert_eq!(
                read_text_sized(&path, size).expect("reads"),
                text,
                "size {size}"
            );
        }
        std::fs::write(&path, b"\xff\xfe").expect("write");
        let e = read_text_sized(&path, 2).expect_err("not UTF-8");
        assert!(e.to_string().contains("UTF-8"), "{e}");
        assert!(read_text_sized(&dir.path().join("gone.yaml"), 10).is_err());
    }

    proptest! {
        /// Sorting by [`component_key`] is sorting `Path`s.
        #[test]
        fn component_keys_sort_as_paths(
            raw in prop::collection::vec(
                (
                    prop::sample::select(vec!["", "/", "./", "../"]),
                    prop::collection::vec(
                        prop::sample::select(vec!["a", "a-b", "a.b", "ab", "-", ".", "..", "b", "a b", "é"]),
                        0..4,
                    ),
                    prop::sample::select(vec!["", "/"]),
                ),
                0..24,
            )
        ) {
            let paths: Vec<PathBuf> = raw
                .iter()
                .map(|(lead, parts, tail)| PathBuf::from(format!("{lead}{}{tail}", parts.join("/"))))
                .collect();
            let mut by_path = paths.clone();
            by_path.sort();
            let mut by_key = paths;
            by_key.sort_by_cached_key(|p| component_key(p));
            prop_assert_eq!(by_path, by_key);
        }
    }
}
