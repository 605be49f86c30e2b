//! `anchorage crds`: prints the generated CustomResourceDefinitions.

/// Arguments of `anchorage crds`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Prints the CRDs.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
