//! Writing output files all-or-nothing: never overwrite without `--force`, private keys with
//! mode 0600, nothing left behind when a write fails.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

/// File mode of private keys (owner read/write only).
pub const KEY_MODE: u32 = 0o600;
/// File mode of certificates and bundles.
pub const CERT_MODE: u32 = 0o644;

/// One file to write.
#[derive(Debug)]
pub struct OutFile<'a> {
    /// Destination.
    pub path: &'a Path,
    /// Contents.
    pub data: Vec<u8>,
    /// Unix mode bits.
    pub mode: u32,
}

/// Fails if any destination exists and `force` is not set, or if two outputs are the same path.
/// Call before doing any work so a refused run has no side effects.
pub fn check_destinations(paths: &[&Path], force: bool) -> anyhow::Result<()> {
    for (i, p) in paths.iter().enumerate() {
        if paths[..i].contains(p) {
            bail!(
                "{} is given twice as an output file; use different paths",
                p.display()
            );
        }
        if !force && p.exists() {
            bail!(
                "{} already exists; pass --force to overwrite it (nothing was written)",
                p.display()
            );
        }
    }
    Ok(())
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.anchorage-tmp-{}", std::process::id()))
}

/// Writes all files or none: each goes to a temporary file beside its destination first, then
/// is moved into place (without `force`, by hard link, which refuses an existing destination).
pub fn write_all(files: &[OutFile<'_>], force: bool) -> anyhow::Result<()> {
    let paths: Vec<&Path> = files.iter().map(|f| f.path).collect();
    check_destinations(&paths, force)?;
    let mut temps: Vec<PathBuf> = Vec::new();
    let cleanup = |temps: &[PathBuf]| {
        for t in temps {
            let _ = std::fs::remove_file(t);
        }
    };
    for f in files {
        let tmp = temp_path(f.path);
        let result = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(f.mode)
            .open(&tmp)
            .and_then(|mut file| {
                file.write_all(&f.data)?;
                file.sync_all()
            });
        if let Err(e) = result {
            cleanup(&temps);
            let _ = std::fs::remove_file(&tmp);
            return Err(e).with_context(|| format!("cannot write {}", f.path.display()));
        }
        temps.push(tmp);
    }
    let mut placed: Vec<&Path> = Vec::new();
    for (f, tmp) in files.iter().zip(&temps) {
        let result = if force {
            std::fs::rename(tmp, f.path)
        } else {
            std::fs::hard_link(tmp, f.path)
        };
        if let Err(e) = result {
            if !force {
                for p in &placed {
                    let _ = std::fs::remove_file(p);
                }
            }
            cleanup(&temps);
            return Err(e).with_context(|| format!("cannot create {}", f.path.display()));
        }
        placed.push(f.path);
    }
    cleanup(&temps);
    Ok(())
}
