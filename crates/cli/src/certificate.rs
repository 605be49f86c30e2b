//! `anchorage certificate ...`: offline steps of the Linkerd mTLS workflow.

/// `certificate` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {}

/// Runs one `certificate` subcommand.
pub fn run(cmd: Command) -> anyhow::Result<()> {
    match cmd {}
}
