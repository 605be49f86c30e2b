//! anchorage-controller: the reconcilers that talk to the Kubernetes API server.
//!
//! Controllers: Issuer, ClusterIssuer (readiness), CertificateRequest (approve + sign) and
//! Certificate (issuance, Secret writer, renewal scheduler). Every replica watches; only the
//! Lease holder writes ([`leader`]). Decisions are pure functions of their inputs and a
//! [`clock::Clock`]; I/O stays in thin shells.

pub mod certificates;
pub mod clock;
pub mod conditions;
pub mod context;
pub mod error;
pub mod issuers;
pub mod leader;
pub mod metrics;
pub mod requests;
pub mod usages;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anchorage_api::constants as c;
use anchorage_api::{Certificate, CertificateRequest, ClusterIssuer, Issuer};
use futures::{Stream, StreamExt};
use k8s_openapi::api::core::v1::Secret;
use kube::api::Api;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{self, ObjectRef};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use tokio::sync::{mpsc, watch};

use crate::clock::SharedClock;
use crate::context::{CaCache, Context, ControllerConfig, KeyStore, LeaderState, Stores};
use crate::error::Error;
use crate::issuers::{IssuerContext, IssuerTriggers, SecretWatches};
use crate::metrics::SharedMetrics;

/// Health flags served on `/livez` and `/readyz`.
#[derive(Debug, Default)]
pub struct Health {
    /// Set once every watch has completed its first list (caches synced).
    pub synced: AtomicBool,
    /// Cleared when the lease task or a controller loop has died.
    pub alive: AtomicBool,
}

impl Health {
    /// A fresh health state: alive, not yet synced.
    pub fn new() -> Self {
        Self {
            synced: AtomicBool::new(false),
            alive: AtomicBool::new(true),
        }
    }

    /// Whether caches are synced.
    pub fn is_ready(&self) -> bool {
        self.synced.load(Ordering::Relaxed)
    }

    /// Whether the process is healthy.
    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::Relaxed)
    }
}

fn api_for<K>(client: &Client, ns: &Option<String>) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
{
    match ns {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// A stream that yields once each time `rx` turns true (leadership acquired).
fn on_leadership(rx: watch::Receiver<bool>) -> impl Stream<Item = ()> + Send + 'static {
    futures::stream::unfold(rx, |mut rx| async move {
        loop {
            if rx.changed().await.is_err() {
                // Sender gone (leader election disabled): never yield, never end.
                futures::future::pending::<()>().await;
            }
            if *rx.borrow_and_update() {
                return Some(((), rx));
            }
        }
    })
}

/// Drops what the reconcilers never read from cached objects: `managedFields` and kubectl's
/// last-applied annotation (these objects are only ever patched, never written back whole).
fn slim<K: kube::Resource>(obj: &mut K) {
    let meta = obj.meta_mut();
    meta.managed_fields = None;
    if let Some(a) = meta.annotations.as_mut() {
        a.remove("kubectl.kubernetes.io/last-applied-configuration");
    }
}

/// A controller whose cache holds slimmed objects (see [`slim`]), to keep memory flat with
/// thousands of objects (DESIGN.md §8).
fn slim_controller<K>(api: Api<K>, wc: watcher::Config) -> Controller<K>
where
    K: kube::Resource<DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    let (reader, writer) = reflector::store::<K>();
    let stream = reflector::reflector(
        writer,
        watcher::watcher(api, wc)
            .default_backoff()
            .modify(slim::<K>),
    )
    .applied_objects();
    Controller::for_stream(stream, reader)
}

/// Waits until a cache has completed its first list.
///
/// `Store::wait_until_ready` keeps a single waker, so when the controller runtime waits on the
/// same store our waiter may never be woken: poll it with a short timeout instead.
async fn synced<K>(store: &reflector::Store<K>) -> bool
where
    K: kube::Resource + Clone + 'static,
    K::DynamicType: Eq + std::hash::Hash + Clone,
{
    loop {
        match tokio::time::timeout(
            std::time::Duration::from_millis(200),
            store.wait_until_ready(),
        )
        .await
        {
            Ok(res) => return res.is_ok(),
            Err(_elapsed) => continue,
        }
    }
}

/// Turns an unbounded receiver into a stream.
fn unbounded<T: Send + 'static>(
    rx: mpsc::UnboundedReceiver<T>,
) -> impl Stream<Item = T> + Send + 'static {
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) })
}

/// Key of an object for failure counting: `kind/namespace/name`.
fn failure_key<K: kube::Resource<DynamicType = ()>>(obj: &K) -> String {
    format!(
        "{}/{}/{}",
        K::kind(&()),
        obj.meta().namespace.as_deref().unwrap_or_default(),
        obj.meta().name.as_deref().unwrap_or_default()
    )
}

/// Retry with exponential backoff per object (1 s doubling to 5 min; 200 ms on conflicts).
fn error_policy<K: kube::Resource<DynamicType = ()>>(
    name: &'static str,
) -> impl Fn(Arc<K>, &Error, Arc<Context>) -> Action {
    move |obj: Arc<K>, err: &Error, ctx: Arc<Context>| {
        ctx.metrics.sync_errors.with_label_values(&[name]).inc();
        let n = ctx.failures.record(&failure_key(obj.as_ref()));
        let wait = err.retry_after(n);
        if err.is_conflict() {
            // Optimistic concurrency doing its job (a stale cache read); retried at once.
            tracing::debug!(controller = name, error = %err, "write conflict; retrying");
        } else {
            tracing::warn!(controller = name, error = %err, attempt = n, retry_in = ?wait, "reconcile failed; will retry");
        }
        Action::requeue(wait)
    }
}

/// Runs `f` and clears the object's failure count when it succeeds.
async fn counted<K, F>(obj: Arc<K>, ctx: Arc<Context>, f: F) -> Result<Action, Error>
where
    K: kube::Resource<DynamicType = ()>,
    F: std::future::Future<Output = Result<Action, Error>>,
{
    let res = f.await;
    if res.is_ok() {
        ctx.failures.clear(&failure_key(obj.as_ref()));
    }
    res
}

/// What [`run`] needs besides the client.
#[derive(Debug)]
pub struct Runtime {
    /// Flags.
    pub config: ControllerConfig,
    /// Time source.
    pub clock: SharedClock,
    /// Metrics registry and handles.
    pub metrics: SharedMetrics,
    /// Whether this replica may write.
    pub leader: LeaderState,
    /// Health flags for the probes.
    pub health: Arc<Health>,
    /// This replica's name on Events (`reportingInstance`).
    pub instance: Option<String>,
}

/// Runs all controllers until `shutdown` resolves.
///
/// `runtime.leader` reports whether this replica may write. Errors from individual reconciles
/// are retried with backoff; this function only returns on shutdown.
pub async fn run(
    client: Client,
    runtime: Runtime,
    shutdown: impl Future<Output = ()> + Send + Sync + Clone + 'static,
) {
    let Runtime {
        config,
        clock,
        metrics,
        leader,
        health,
        instance,
    } = runtime;
    let ns = config.namespace.clone();
    let wc = watcher::Config::default().any_semantic();
    let controller_cfg =
        kube::runtime::controller::Config::default().concurrency(config.concurrency);

    // Secrets: only the ones we manage are cached (server-side label selector).
    let (secret_reader, secret_writer) = reflector::store::<Secret>();
    let (cert_trigger_tx, cert_trigger_rx) = mpsc::unbounded_channel::<ObjectRef<Certificate>>();
    let secret_stream = reflector::reflector(
        secret_writer,
        watcher::watcher(
            api_for::<Secret>(&client, &ns),
            watcher::Config::default().labels(&format!("{}=true", c::LABEL_FAO)),
        )
        .default_backoff()
        .modify(|s: &mut Secret| s.metadata.managed_fields = None),
    )
    .touched_objects();
    let issuer_ctrl = slim_controller(api_for::<Issuer>(&client, &ns), wc.clone())
        .with_config(controller_cfg.clone());
    let cissuer_ctrl = slim_controller(Api::<ClusterIssuer>::all(client.clone()), wc.clone())
        .with_config(controller_cfg.clone());
    let cr_ctrl = slim_controller(api_for::<CertificateRequest>(&client, &ns), wc.clone())
        .with_config(controller_cfg.clone());
    let cert_ctrl = slim_controller(api_for::<Certificate>(&client, &ns), wc.clone())
        .with_config(controller_cfg.clone());
    {
        // A managed Secret's change wakes the Certificate named in its annotation, and any
        // Certificate whose spec.secretName it is (the annotation may have been edited away).
        let tx = cert_trigger_tx.clone();
        let certs = cert_ctrl.store();
        tokio::spawn(async move {
            let mut s = secret_stream.boxed();
            while let Some(ev) = s.next().await {
                let secret = match ev {
                    Ok(secret) => secret,
                    Err(err) => {
                        tracing::warn!(%err, "watch of managed Secrets failed; retrying");
                        continue;
                    }
                };
                let Some(sns) = secret.namespace() else {
                    continue;
                };
                let sname = secret.name_any();
                if let Some(cert) = secret.annotations().get(c::ANNOTATION_CERTIFICATE_NAME) {
                    let _ = tx.send(ObjectRef::new(cert).within(&sns));
                }
                for cert in certs.state().iter().filter(|c| {
                    c.spec.secret_name == sname && c.namespace().as_deref() == Some(sns.as_str())
                }) {
                    let _ = tx.send(ObjectRef::from_obj(cert.as_ref()));
                }
            }
        });
    }

    let stores = Stores {
        issuers: issuer_ctrl.store(),
        cluster_issuers: cissuer_ctrl.store(),
        certificates: cert_ctrl.store(),
        requests: cr_ctrl.store(),
        secrets: secret_reader.clone(),
    };
    if let Err(err) = metrics.register_stores(
        stores.certificates.clone(),
        stores.issuers.clone(),
        stores.cluster_issuers.clone(),
        clock.clone(),
    ) {
        tracing::error!(%err, "could not register certificate metrics");
    }
    let ctx = Arc::new(Context {
        reporter: Context::reporter(instance),
        client: client.clone(),
        clock,
        config,
        metrics: metrics.clone(),
        leader: leader.clone(),
        keys: KeyStore::default(),
        ca_cache: CaCache::default(),
        stores: stores.clone(),
        failures: context::Failures::default(),
        health: health.clone(),
    });

    // Readiness once every cache has listed.
    {
        let stores = stores.clone();
        let health = health.clone();
        tokio::spawn(async move {
            let ok = synced(&stores.issuers).await
                && synced(&stores.cluster_issuers).await
                && synced(&stores.certificates).await
                && synced(&stores.requests).await
                && synced(&stores.secrets).await;
            if ok {
                tracing::info!("caches synced");
                health.synced.store(true, Ordering::Relaxed);
            }
        });
    }

    let (iss_tx, iss_rx) = mpsc::unbounded_channel::<ObjectRef<Issuer>>();
    let (ciss_tx, ciss_rx) = mpsc::unbounded_channel::<ObjectRef<ClusterIssuer>>();
    let ictx = Arc::new(IssuerContext {
        ctx: ctx.clone(),
        watches: Arc::new(SecretWatches::default()),
        triggers: IssuerTriggers {
            issuers: iss_tx,
            cluster_issuers: ciss_tx,
        },
    });

    let m = metrics.clone();
    let issuers_fut = issuer_ctrl
        .reconcile_on(unbounded(iss_rx))
        .reconcile_all_on(on_leadership(leader.subscribe()))
        .graceful_shutdown_on(shutdown.clone())
        .run(
            |o: Arc<Issuer>, c: Arc<IssuerContext>| {
                let ctx = c.ctx.clone();
                counted(o.clone(), ctx, issuers::reconcile_issuer(o, c))
            },
            move |o: Arc<Issuer>, e: &Error, c: Arc<IssuerContext>| {
                m.sync_errors.with_label_values(&["issuers"]).inc();
                let n = c.ctx.failures.record(&failure_key(o.as_ref()));
                tracing::warn!(error = %e, attempt = n, "issuer reconcile failed; will retry");
                Action::requeue(e.retry_after(n))
            },
            ictx.clone(),
        )
        .for_each(|_| async {});
    let m = metrics.clone();
    let cissuers_fut = cissuer_ctrl
        .reconcile_on(unbounded(ciss_rx))
        .reconcile_all_on(on_leadership(leader.subscribe()))
        .graceful_shutdown_on(shutdown.clone())
        .run(
            |o: Arc<ClusterIssuer>, c: Arc<IssuerContext>| {
                let ctx = c.ctx.clone();
                counted(o.clone(), ctx, issuers::reconcile_cluster_issuer(o, c))
            },
            move |o: Arc<ClusterIssuer>, e: &Error, c: Arc<IssuerContext>| {
                m.sync_errors.with_label_values(&["clusterissuers"]).inc();
                let n = c.ctx.failures.record(&failure_key(o.as_ref()));
                tracing::warn!(error = %e, attempt = n, "clusterissuer reconcile failed; will retry");
                Action::requeue(e.retry_after(n))
            },
            ictx.clone(),
        )
        .for_each(|_| async {});

    // Requests wake up when their issuer changes (e.g. becomes ready: BC-09).
    let cr_store = stores.requests.clone();
    let cr_store2 = stores.requests.clone();
    let requests_fut = cr_ctrl
        .watches(api_for::<Issuer>(&client, &ns), wc.clone(), move |issuer| {
            let name = issuer.name_any();
            let ins = issuer.namespace();
            cr_store
                .state()
                .into_iter()
                .filter(|cr| {
                    cr.spec.issuer_ref.name == name
                        && cr.spec.issuer_ref.kind_or_default() == "Issuer"
                        && cr.namespace() == ins
                })
                .map(|cr| ObjectRef::from_obj(cr.as_ref()))
                .collect::<Vec<_>>()
        })
        .watches(
            Api::<ClusterIssuer>::all(client.clone()),
            wc.clone(),
            move |issuer| {
                let name = issuer.name_any();
                cr_store2
                    .state()
                    .into_iter()
                    .filter(|cr| {
                        cr.spec.issuer_ref.name == name
                            && cr.spec.issuer_ref.kind_or_default() == "ClusterIssuer"
                    })
                    .map(|cr| ObjectRef::from_obj(cr.as_ref()))
                    .collect::<Vec<_>>()
            },
        )
        .reconcile_all_on(on_leadership(leader.subscribe()))
        .graceful_shutdown_on(shutdown.clone())
        .run(
            |o: Arc<CertificateRequest>, c: Arc<Context>| {
                counted(o.clone(), c.clone(), requests::reconcile(o, c))
            },
            error_policy::<CertificateRequest>("certificaterequests"),
            ctx.clone(),
        )
        .for_each(|_| async {});

    let certs_fut = cert_ctrl
        .owns(api_for::<CertificateRequest>(&client, &ns), wc.clone())
        .reconcile_on(unbounded(cert_trigger_rx))
        .reconcile_all_on(on_leadership(leader.subscribe()))
        .graceful_shutdown_on(shutdown.clone())
        .run(
            |o: Arc<Certificate>, c: Arc<Context>| {
                counted(o.clone(), c.clone(), certificates::reconcile(o, c))
            },
            error_policy::<Certificate>("certificates"),
            ctx.clone(),
        )
        .for_each(|_| async {});

    tokio::join!(issuers_fut, cissuers_fut, requests_fut, certs_fut);
    drop(cert_trigger_tx);
}
