//! The `anchorage` binary: the controller, the offline `certificate` commands and `crds`.
//!
//! Exit codes: 0 on success, 1 on a user or runtime error (one line on stderr), never a panic.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod admin;
mod certificate;
mod controller;
mod crds;

/// Top-level command line.
#[derive(Debug, Parser)]
#[command(
    name = "anchorage",
    version,
    about = "cert-manager compatible private-CA controller and offline certificate tool"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Offline certificate operations, flag-compatible with `step certificate`.
    #[command(subcommand)]
    Certificate(certificate::Command),
    /// Run the controller against a Kubernetes API server.
    Controller(Box<controller::Args>),
    /// Print (or write) the generated CustomResourceDefinitions.
    Crds(crds::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Certificate(cmd) => certificate::run(cmd),
        Command::Controller(args) => controller::run(*args),
        Command::Crds(args) => crds::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(1)
        }
    }
}
