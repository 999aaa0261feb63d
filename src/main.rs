//! The `accord` binary: everything lives in the library; this maps the result to an exit code.

/// mimalloc: a lint run holds millions of small tree nodes and strings, where its size classes
/// waste far less than glibc's per-chunk overhead, and it is faster across threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    accord::cli::main()
}
