//! The `accord` binary: everything lives in the library; this maps the result to an exit code.

/// mimalloc: a lint run holds millions of small tree nodes and strings, where its size classes
/// waste far less than glibc's per-chunk overhead, and it is faster across threads. Transparent
/// huge pages are allowed (the kernel's `madvise` mode): fewer page faults and TLB misses make
/// large runs faster (10k objects: 642 → 564 ms) at the same peak memory on 100k objects; the
/// price is on small runs, whose resident size grows by the 2 MiB pages the allocator touches
/// (one file: about 30 → 60 MB), not their time (measured with `MIMALLOC_ALLOW_THP=0/1`, see
/// bench/README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    accord::cli::main()
}
