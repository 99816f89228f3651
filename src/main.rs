//! The `spectra-workbench` binary: parse the command line and hand over to the library.

fn main() -> std::process::ExitCode {
    spectra_workbench::cli::main()
}
