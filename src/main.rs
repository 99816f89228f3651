//! The `spectra-workbench` binary: parse the command line and hand over to the library.

/// mimalloc keeps freed memory for reuse: transforms allocate fresh arrays of millions of
/// samples, and on this project's machines first-touch page faults were a third of their
/// time with the system allocator (benches/transforms.rs uses the same allocator).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v2's `mimalloc.h` (the 16th option; default 10 ms).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    // Keep freed pages for 1 s instead of 10 ms before returning them to the OS: a chain
    // of transforms frees and allocates arrays of megabytes within milliseconds, and each
    // fresh page costs a fault and a zeroing (a third of the chain's time). The guard
    // checks the option is the one we mean (its documented default) before changing it.
    // SAFETY: mimalloc's option calls are thread-safe and take plain integers.
    unsafe {
        if libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) == 10 {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1000);
        }
    }
    spectra_workbench::cli::main()
}
