//! The local control plane itself: the right versions, a working controller-manager
//! (namespace deletion, garbage collection) and CRDs.

use std::time::Duration;

use anchorage_e2e::{Cluster, logs_dir, unique_suffix, wait_for};
use serde_json::Value;

const K8S_VERSION: &str = "v1.36.3";

#[test]
fn versions_match_and_etcd_supports_watch_progress() {
    let cluster = Cluster::shared().unwrap();

    let server: Value =
        serde_json::from_str(&cluster.kubectl(&["get", "--raw", "/version"]).unwrap()).unwrap();
    assert_eq!(server["gitVersion"], K8S_VERSION, "{server}");
    assert_eq!(server["major"], "1", "{server}");

    let client: Value = serde_json::from_str(
        &cluster
            .kubectl(&["version", "--client", "-o", "json"])
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        client["clientVersion"]["gitVersion"], K8S_VERSION,
        "{client}"
    );

    // An etcd older than the one k8s pins (e.g. Debian's 3.4) makes the apiserver log this.
    let log = std::fs::read_to_string(logs_dir().join("kube-apiserver.log")).unwrap();
    assert!(
        !log.contains("RequestWatchProgress"),
        "apiserver log mentions RequestWatchProgress; see {}",
        logs_dir().join("kube-apiserver.log").display()
    );
}

#[test]
fn namespace_deletion_and_garbage_collection_complete() {
    let cluster = Cluster::shared().unwrap();
    let ns = format!("e2e-delete-{}", unique_suffix());
    cluster.kubectl(&["create", "namespace", &ns]).unwrap();

    // Garbage collection: a dependent goes away with its owner.
    cluster
        .kubectl(&["create", "configmap", "owner", "-n", &ns])
        .unwrap();
    let uid = cluster
        .kubectl(&[
            "get",
            "configmap",
            "owner",
            "-n",
            &ns,
            "-o",
            "jsonpath={.metadata.uid}",
        ])
        .unwrap();
    let dependent = format!(
        r#"
apiVersion: v1
kind: ConfigMap
metadata:
  name: dependent
  ownerReferences:
  - apiVersion: v1
    kind: ConfigMap
    name: owner
    uid: {uid}
data:
  k: v
"#
    );
    cluster.apply(Some(&ns), &dependent).unwrap();
    cluster
        .kubectl(&["delete", "configmap", "owner", "-n", &ns])
        .unwrap();
    wait_for(Duration::from_secs(60), || {
        let out = cluster.kubectl(&[
            "get",
            "configmap",
            "dependent",
            "-n",
            &ns,
            "--ignore-not-found",
            "-o",
            "name",
        ])?;
        Ok(out.trim().is_empty())
    })
    .unwrap_or_else(|e| panic!("dependent not collected: {e:#}; {}", cluster.log_hint()));

    // Namespace deletion: the namespace controller empties it and removes the finalizer.
    cluster
        .kubectl(&[
            "create",
            "secret",
            "generic",
            "s",
            "-n",
            &ns,
            "--from-literal=a=b",
        ])
        .unwrap();
    cluster
        .kubectl(&["delete", "namespace", &ns, "--wait=false"])
        .unwrap();
    wait_for(Duration::from_secs(90), || {
        let out =
            cluster.kubectl(&["get", "namespace", &ns, "--ignore-not-found", "-o", "name"])?;
        Ok(out.trim().is_empty())
    })
    .unwrap_or_else(|e| panic!("namespace {ns} not deleted: {e:#}; {}", cluster.log_hint()));
}

const WIDGET_CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.e2e.anchorage.invalid
spec:
  group: e2e.anchorage.invalid
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size:
                type: integer
                minimum: 1
          status:
            type: object
            properties:
              phase:
                type: string
"#;

#[test]
fn crds_install_validate_and_serve_status() {
    let cluster = Cluster::shared().unwrap();
    cluster.apply(None, WIDGET_CRD).unwrap();
    cluster
        .wait_condition(
            "crd",
            "widgets.e2e.anchorage.invalid",
            None,
            "Established",
            "True",
            Duration::from_secs(30),
        )
        .unwrap();

    let ns = cluster.namespace("e2e-crd").unwrap();
    let widget = "apiVersion: e2e.anchorage.invalid/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 3\n";
    // The discovery cache of a fresh CRD can lag for a moment.
    wait_for(Duration::from_secs(30), || {
        Ok(cluster.apply(Some(ns.name()), widget).is_ok())
    })
    .unwrap();

    // Schema validation by the API server.
    let bad = widget.replace("size: 3", "size: 0");
    let err = cluster.apply(Some(ns.name()), &bad).unwrap_err();
    assert!(format!("{err:#}").contains("spec.size"), "{err:#}");

    // The status subresource: spec writes ignore status, status writes go through /status.
    cluster
        .kubectl(&[
            "patch",
            "widget",
            "w",
            "-n",
            ns.name(),
            "--subresource=status",
            "--type=merge",
            "-p",
            r#"{"status":{"phase":"Ready"}}"#,
        ])
        .unwrap();
    let got = cluster
        .kubectl(&[
            "get",
            "widget",
            "w",
            "-n",
            ns.name(),
            "-o",
            "jsonpath={.spec.size}/{.status.phase}",
        ])
        .unwrap();
    assert_eq!(got, "3/Ready");
}
