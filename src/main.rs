//! The `spectra-workbench` binary: parse the command line and hand over to the library.

/// mimalloc keeps freed memory for reuse: transforms allocate fresh arrays of millions of
/// samples, and on this project's machines first-touch page faults were a third of their
/// time with the system allocator (benches/transforms.rs uses the same allocator).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod allocator;

fn main() -> std::process::ExitCode {
    allocator::keep_freed_memory();
    spectra_workbench::cli::main()
}
