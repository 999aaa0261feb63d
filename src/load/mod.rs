//! Where manifests come from: the file system ([`fs`]) or any git revision ([`git`]), and the
//! rules and config that apply at a revision ([`rules`]).
//!
//! Both sources produce the same [`crate::manifest::FileManifests`], sorted by path, so the
//! engine and the diff never know where a file was read from.

pub mod fs;
pub mod git;
pub mod rules;

pub use fs::{
    EXTENSIONS, Filter, Loaded, ReadError, discover, display_path, load, load_map, load_sized,
    read_text, sizes,
};
