//! Bare YAML parsing of a corpus: the speed limit `accord lint` is measured against.
//!
//! `cargo run --release --example parse_bench -- [--mode parse|load|events] [--json] PATH...`
//!
//! Finds files exactly as `accord lint` does ([`accord::load::discover`]), then, in parallel on
//! rayon's pool like the loader, reads each file and parses it with the same parser the linter
//! uses — so `lint throughput / parse throughput` compares the same bytes, the same parser and
//! the same thread pool:
//! - `parse` (default): [`accord::manifest::yaml::parse`] over a [`SourceFile`] (the span-keeping
//!   tree, line index included) — the floor of any linter built on this tree;
//! - `load`: [`accord::load::load`] (parse + object identification), the loader's full cost;
//! - `events`: saphyr-parser events only, no tree — the raw tokenizer speed.
//!
//! Prints files, documents, bytes, elapsed seconds and MB/s (one JSON object with `--json`).

use accord::load;
use accord::manifest::yaml;
use accord::source::SourceFile;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Parse,
    Load,
    Events,
}

fn read(p: &Path) -> Option<String> {
    std::fs::read(p)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
}

fn main() {
    let mut mode = Mode::Parse;
    let mut json = false;
    let mut inputs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--json" => json = true,
            "--mode" => {
                mode = match args.next().as_deref() {
                    Some("parse") => Mode::Parse,
                    Some("load") => Mode::Load,
                    Some("events") => Mode::Events,
                    other => {
                        eprintln!("--mode parse|load|events, got {other:?}");
                        std::process::exit(2);
                    }
                }
            }
            "-h" | "--help" => {
                println!("usage: parse_bench [--mode parse|load|events] [--json] PATH...");
                return;
            }
            _ => inputs.push(PathBuf::from(a)),
        }
    }
    if inputs.is_empty() {
        inputs.push(PathBuf::from("."));
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let start = Instant::now();
    let mut errors = Vec::new();
    let paths = load::discover(&inputs, &mut errors, &cwd);
    let (files, docs, bytes, issues) = match mode {
        Mode::Load => {
            let loaded = load::load(&paths, &cwd, &load::Filter::default());
            let bytes: usize = loaded.files.iter().map(|f| f.source.text.len()).sum();
            let objects: usize = loaded.files.iter().map(|f| f.objects.len()).sum();
            let problems: usize = loaded.files.iter().map(|f| f.problems.len()).sum();
            (loaded.files.len(), objects, bytes, problems)
        }
        Mode::Parse | Mode::Events => paths
            .par_iter()
            .filter_map(|p| read(p).map(|t| (p, t)))
            .map(|(p, text)| {
                let n = text.len();
                if mode == Mode::Events {
                    let mut parser = saphyr_parser::Parser::new_from_str(&text);
                    let mut docs = 0;
                    let mut bad = 0;
                    while let Some(ev) = parser.next_event() {
                        match ev {
                            Ok((saphyr_parser::Event::DocumentStart(_), _)) => docs += 1,
                            Ok(_) => {}
                            Err(_) => {
                                bad += 1;
                                break;
                            }
                        }
                    }
                    (1, docs, n, bad)
                } else {
                    let src = SourceFile::new(load::display_path(p, &cwd), text);
                    let parsed = yaml::parse(&src);
                    (1, parsed.documents.len(), n, parsed.issues.len())
                }
            })
            .reduce(
                || (0, 0, 0, 0),
                |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2, a.3 + b.3),
            ),
    };
    let secs = start.elapsed().as_secs_f64();
    let mbps = bytes as f64 / 1e6 / secs.max(1e-9);
    let name = match mode {
        Mode::Parse => "parse",
        Mode::Load => "load",
        Mode::Events => "events",
    };
    let unit = if mode == Mode::Load {
        "objects"
    } else {
        "documents"
    };
    if json {
        println!(
            "{{\"mode\":\"{name}\",\"files\":{files},\"{unit}\":{docs},\"bytes\":{bytes},\"issues\":{issues},\"seconds\":{secs:.6},\"mb_per_s\":{mbps:.2},\"threads\":{}}}",
            rayon::current_num_threads()
        );
    } else {
        println!(
            "{name}: {files} files, {docs} {unit}, {bytes} bytes, {issues} issues in {secs:.3} s = {mbps:.1} MB/s on {} threads",
            rayon::current_num_threads()
        );
    }
}
