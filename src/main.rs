//! The `accord` binary: everything lives in the library; this maps the result to an exit code.

/// mimalloc: a lint run holds millions of small tree nodes and strings, where its size classes
/// waste far less than glibc's per-chunk overhead, and it is faster across threads. Transparent
/// huge pages are allowed for small runs, whose few faults make them faster (one file: 26 → 22
/// ms), and turned off for large ones, where the kernel's compaction for each huge page cost
/// seconds (see `cli::common::size_heap` and bench/README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    accord::cli::main()
}
