//! `anchorage crds` output equals the committed copies in config/crd/ and
//! charts/anchorage/crds/ (run `make crds` after changing crates/api), and stdout carries the
//! same documents.

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)] // test code

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn yaml_files(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| {
            let name = p
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&p).expect("readable");
            (name, text)
        })
        .collect();
    files.sort();
    files
}

fn generate() -> Vec<(String, String)> {
    let out = tempfile::tempdir().expect("temp dir");
    let status = Command::new(env!("CARGO_BIN_EXE_anchorage"))
        .args(["crds", "--out-dir"])
        .arg(out.path())
        .status()
        .expect("runs anchorage");
    assert!(status.success());
    yaml_files(out.path())
}

#[test]
fn committed_crds_match_generated_output() {
    let generated = generate();
    let names: Vec<&str> = generated.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "certificaterequests.cert-manager.io.yaml",
            "certificates.cert-manager.io.yaml",
            "clusterissuers.cert-manager.io.yaml",
            "issuers.cert-manager.io.yaml",
        ]
    );
    for dir in ["config/crd", "charts/anchorage/crds"] {
        let committed = yaml_files(&repo_root().join(dir));
        assert!(
            committed == generated,
            "{dir}/ differs from `anchorage crds` output: run `make crds` and commit the result"
        );
    }
}

#[test]
fn stdout_is_the_same_documents() {
    let out = Command::new(env!("CARGO_BIN_EXE_anchorage"))
        .arg("crds")
        .output()
        .expect("runs anchorage");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let generated = generate();
    // Certificate, CertificateRequest, Issuer, ClusterIssuer, each preceded by `---`.
    let order = [1, 0, 3, 2];
    let expected: String = order
        .iter()
        .map(|&i| format!("---\n{}", generated[i].1))
        .collect();
    assert_eq!(stdout, expected);
}
