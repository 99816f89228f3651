//! The allocator setting of the binary, shared with the benchmarks (`benches/common`
//! includes this file) so that they measure what the app does. Not part of the library:
//! process-wide configuration belongs at the binary's edge.

#![allow(unsafe_code)] // see Cargo.toml [lints]: this module needs unsafe, each block says why

/// Options of the bundled mimalloc v3 (`mi_option_e` in its `mimalloc.h`): the purge
/// delay in ms (default 1000), and its multiplier for arenas (default 1).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
const MI_OPTION_ARENA_PURGE_MULT: libmimalloc_sys::mi_option_t = 24;

/// Keeps freed arena memory, where arrays of megabytes live, for 10 s instead of 1 s
/// before returning it to the OS. A chain of transforms frees and re-allocates such arrays
/// within milliseconds, yet with 1 s some ranges were purged and faulted back in, 2 MB huge
/// page by huge page (about 13 faults per 1e6-point chain, some 7 % of its time). The
/// guard checks that the options are the ones we mean (their defaults) before changing
/// anything.
pub fn keep_freed_memory() {
    // SAFETY: mimalloc's option calls are thread-safe and take plain integers.
    unsafe {
        if libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) == 1000
            && libmimalloc_sys::mi_option_get(MI_OPTION_ARENA_PURGE_MULT) == 1
        {
            libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_PURGE_MULT, 10);
        }
    }
}
