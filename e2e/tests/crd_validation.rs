//! Issue 3 on the real API server: the generated CRDs install, every seed manifest applies, and
//! every invalid sample (config/samples/invalid/) is rejected with a message naming the field.

mod common;

use anchorage_e2e::{Cluster, workspace_root};
use common::install_crds;

fn header(text: &str, key: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("# {key}:")))
        .map(|v| v.trim().to_string())
}

#[test]
fn seed_manifests_apply_and_invalid_samples_are_rejected() {
    let cluster = Cluster::shared().unwrap();
    install_crds(cluster).unwrap();

    // Every seed manifest is accepted by the server (dry run: nothing is left behind).
    let seed_dir = workspace_root().join("config/samples/linkerd");
    let mut seeds: Vec<_> = std::fs::read_dir(&seed_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    seeds.sort();
    for path in seeds
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
    {
        let yaml = std::fs::read_to_string(path).unwrap();
        // Namespaces are created for real so the namespaced objects can be checked.
        let only_namespaces = yaml
            .lines()
            .filter(|l| l.starts_with("kind:"))
            .all(|l| l.trim() == "kind: Namespace");
        let mode = if only_namespaces {
            "--dry-run=none"
        } else {
            "--dry-run=server"
        };
        cluster
            .kubectl_stdin(&["apply", mode, "-f", "-"], &yaml)
            .unwrap_or_else(|e| panic!("{} was rejected: {e:#}", path.display()));
    }

    // Every invalid sample is rejected, naming the field.
    let dir = workspace_root().join("config/samples/invalid");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut checked = 0;
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
    {
        let yaml = std::fs::read_to_string(path).unwrap();
        let field = header(&yaml, "expect-field").expect("expect-field header");
        let api = header(&yaml, "expect-api").expect("expect-api header");
        let err = cluster
            .kubectl_stdin(&["apply", "--dry-run=server", "-f", "-"], &yaml)
            .expect_err(&format!("{} must be rejected", path.display()));
        let msg = format!("{err:#}");
        let short_field = field.rsplit('.').next().unwrap_or(&field).to_string();
        assert!(
            msg.contains(&field) || msg.contains(&short_field),
            "{}: message does not name {field}: {msg}",
            path.display()
        );
        assert!(
            msg.contains(&api),
            "{}: expected {api:?} in {msg}",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} invalid samples found");
}
