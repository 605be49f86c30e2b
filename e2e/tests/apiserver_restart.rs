//! A watch (kube-rs `watcher`, as the controller uses) keeps delivering events across a
//! kube-apiserver restart. In its own test binary because the restart would disturb tests
//! running in parallel; cargo runs test binaries one after another.
//!
//! What happens underneath: the connection drops, reconnects fail until the new apiserver
//! listens (backoff), and the resumed watch from the last resourceVersion usually gets
//! `410 Expired` because the new watch cache starts at the current revision; the watcher then
//! re-lists. Either way the stream must go on and show objects created after the restart.

use std::time::Duration;

use anchorage_e2e::Cluster;
use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, ResourceExt};
use tokio::sync::mpsc;

/// Runs blocking fixture code (it shells out to kubectl) off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f).await?
}

/// Waits until the watch delivers an object called `name`.
async fn expect_name(
    rx: &mut mpsc::UnboundedReceiver<String>,
    name: &str,
    cluster: &Cluster,
) -> anyhow::Result<()> {
    let wait = async {
        while let Some(seen) = rx.recv().await {
            if seen == name {
                return Ok(());
            }
        }
        anyhow::bail!("watch stream ended before {name}")
    };
    match tokio::time::timeout(Duration::from_secs(60), wait).await {
        Ok(result) => result,
        Err(_) => anyhow::bail!("watch never saw {name}; {}", cluster.log_hint()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_resumes_after_apiserver_restart() {
    let cluster = blocking(Cluster::shared).await.unwrap();
    let ns = blocking(move || cluster.namespace("e2e-watch"))
        .await
        .unwrap();
    let ns_name = ns.name().to_owned();

    let kubeconfig = Kubeconfig::read_from(cluster.kubeconfig()).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    let api: Api<ConfigMap> = Api::namespaced(Client::try_from(config).unwrap(), &ns_name);

    let (tx, mut rx) = mpsc::unbounded_channel();
    let watch = tokio::spawn(async move {
        let stream = watcher(api, watcher::Config::default())
            .default_backoff()
            .applied_objects();
        futures::pin_mut!(stream);
        while let Some(event) = stream.next().await {
            match event {
                Ok(cm) => {
                    if tx.send(cm.name_any()).is_err() {
                        return;
                    }
                }
                // Expected while the apiserver is down; the backoff retries.
                Err(e) => eprintln!("watch error (retrying): {e}"),
            }
        }
    });

    let create = |name: &'static str| {
        let ns = ns_name.clone();
        blocking(move || cluster.kubectl(&["create", "configmap", name, "-n", &ns]))
    };

    create("before").await.unwrap();
    expect_name(&mut rx, "before", cluster).await.unwrap();

    blocking(move || cluster.restart_apiserver()).await.unwrap();

    create("after").await.unwrap();
    expect_name(&mut rx, "after", cluster).await.unwrap();

    watch.abort();
    drop(ns);
}
