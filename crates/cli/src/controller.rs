//! `anchorage controller`: runs the reconcilers.

/// Arguments of `anchorage controller`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the controller until SIGTERM/SIGINT.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
