//! Shared state of the reconcilers: client, clock, configuration, caches, leader state,
//! in-flight private keys, metrics and the event recorder.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anchorage_api::{Certificate, CertificateRequest, ClusterIssuer, Issuer};
use anchorage_pki::{CaMaterial, PrivateKey};
use jiff::SignedDuration;
use k8s_openapi::api::core::v1::{ObjectReference, Secret};
use kube::Client;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::reflector::Store;
use tokio::sync::watch;

use crate::clock::SharedClock;
use crate::metrics::SharedMetrics;

/// Static configuration of the controller (from command-line flags).
#[derive(Debug, Clone)]
pub struct ControllerConfig {
    /// How far notBefore is set before the signing instant (clock-skew tolerance;
    /// `--backdate`, default 30 s; 0 gives cert-manager parity).
    pub backdate: SignedDuration,
    /// Namespace holding the CA Secrets of ClusterIssuers (`--cluster-resource-namespace`).
    pub cluster_resource_namespace: String,
    /// Approve requests for our issuers automatically (default true;
    /// `--disable-auto-approval` turns it off).
    pub auto_approve: bool,
    /// Restrict namespaced resources to this namespace (`--namespace`); `None` watches all.
    pub namespace: Option<String>,
    /// Upper bound on concurrent reconciles per controller (bounds signing concurrency).
    pub concurrency: u16,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        Self {
            backdate: SignedDuration::from_secs(30),
            cluster_resource_namespace: "cert-manager".to_string(),
            auto_approve: true,
            namespace: None,
            concurrency: 8,
        }
    }
}

/// Whether this replica currently holds the leader Lease. Only the leader writes.
#[derive(Debug, Clone)]
pub struct LeaderState {
    rx: watch::Receiver<bool>,
}

impl LeaderState {
    /// Leader state driven by a watch channel (the lease task is the sender).
    pub fn new(rx: watch::Receiver<bool>) -> Self {
        Self { rx }
    }

    /// A state that is always leader (leader election disabled).
    pub fn always() -> Self {
        let (tx, rx) = watch::channel(true);
        // Keep the sender alive for the life of the process so the value never goes stale.
        std::mem::forget(tx);
        Self { rx }
    }

    /// True while this replica holds the lease.
    pub fn is_leader(&self) -> bool {
        *self.rx.borrow()
    }

    /// A receiver to await leadership changes.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.rx.clone()
    }
}

/// Private keys of issuances in flight, keyed by CertificateRequest (namespace, name) and
/// matched to the request by public key.
///
/// Keys live only in memory: if the process dies mid-issuance, the request it belonged to is
/// detected as orphaned (no key can complete it), deleted, and issuance restarts with a new key.
/// The Secret is never touched until a complete pair is ready, so nothing is lost. A key is
/// stored *before* its request is created, so the signer can never see a request whose key is
/// not yet known.
#[derive(Default)]
pub struct KeyStore {
    keys: Mutex<HashMap<(String, String), PrivateKey>>,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.keys.lock().map(|k| k.len()).unwrap_or(0);
        f.debug_struct("KeyStore").field("in_flight", &n).finish()
    }
}

impl KeyStore {
    /// Remembers the key for request `namespace/name`.
    pub fn insert(&self, namespace: &str, name: &str, key: PrivateKey) {
        if let Ok(mut keys) = self.keys.lock() {
            keys.insert((namespace.into(), name.into()), key);
        }
    }

    /// The key for request `namespace/name` if its public key (SubjectPublicKeyInfo DER) is
    /// `spki`, i.e. the key the request's CSR was made with.
    pub fn get(&self, namespace: &str, name: &str, spki: &[u8]) -> Option<PrivateKey> {
        let keys = self.keys.lock().ok()?;
        keys.get(&(namespace.to_string(), name.to_string()))
            .filter(|k| k.public_key_der().is_ok_and(|d| d == spki))
            .cloned()
    }

    /// Forgets the key for request `namespace/name`.
    pub fn remove(&self, namespace: &str, name: &str) {
        if let Ok(mut keys) = self.keys.lock() {
            keys.remove(&(namespace.to_string(), name.to_string()));
        }
    }
}

/// Consecutive reconcile failures per object, for exponential retry backoff.
#[derive(Debug, Default)]
pub struct Failures {
    counts: Mutex<HashMap<String, u32>>,
}

impl Failures {
    /// Records one more failure of `key` and returns the count (1 for the first).
    pub fn record(&self, key: &str) -> u32 {
        self.counts
            .lock()
            .map(|mut c| {
                let n = c.entry(key.to_string()).or_insert(0);
                *n = n.saturating_add(1);
                *n
            })
            .unwrap_or(1)
    }

    /// Forgets the failures of `key` after a successful reconcile.
    pub fn clear(&self, key: &str) {
        if let Ok(mut c) = self.counts.lock() {
            c.remove(key);
        }
    }
}

/// Parsed CA material keyed by Secret (namespace, name, resourceVersion), so a thousand
/// requests against one issuer parse its key pair once.
#[derive(Default)]
pub struct CaCache {
    entries: Mutex<HashMap<SecretKey, (String, Arc<CaMaterial>)>>,
}

/// A Secret's (namespace, name).
type SecretKey = (String, String);

impl std::fmt::Debug for CaCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaCache").finish_non_exhaustive()
    }
}

impl CaCache {
    /// Cached material for the Secret at `resource_version`, if any.
    pub fn get(&self, ns: &str, name: &str, resource_version: &str) -> Option<Arc<CaMaterial>> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(&(ns.to_string(), name.to_string()))
            .filter(|(rv, _)| rv == resource_version)
            .map(|(_, m)| m.clone())
    }

    /// Stores material for the Secret at `resource_version`.
    pub fn put(&self, ns: &str, name: &str, resource_version: &str, m: Arc<CaMaterial>) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(
                (ns.to_string(), name.to_string()),
                (resource_version.to_string(), m),
            );
        }
    }
}

/// Read-only caches shared between reconcilers.
#[derive(Clone)]
pub struct Stores {
    /// Issuers.
    pub issuers: Store<Issuer>,
    /// ClusterIssuers.
    pub cluster_issuers: Store<ClusterIssuer>,
    /// Certificates.
    pub certificates: Store<Certificate>,
    /// CertificateRequests.
    pub requests: Store<CertificateRequest>,
    /// Secrets labelled `controller.cert-manager.io/fao=true` (only those: DESIGN.md §4).
    pub secrets: Store<Secret>,
}

/// Everything a reconcile needs.
pub struct Context {
    /// API client.
    pub client: Client,
    /// Time source.
    pub clock: SharedClock,
    /// Flags.
    pub config: ControllerConfig,
    /// Metrics.
    pub metrics: SharedMetrics,
    /// Leader state; writes are skipped unless leader.
    pub leader: LeaderState,
    /// In-flight private keys.
    pub keys: KeyStore,
    /// Parsed CA material.
    pub ca_cache: CaCache,
    /// Caches.
    pub stores: Stores,
    /// Who reports our Events (controller name and replica).
    pub reporter: Reporter,
    /// Consecutive failures per object (retry backoff).
    pub failures: Failures,
    /// Health flags; writes wait until every cache has synced.
    pub health: Arc<crate::Health>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Field manager recorded in managedFields for every write.
pub const FIELD_MANAGER: &str = "anchorage";

/// Parameters for create/replace calls, naming our field manager.
pub fn post_params() -> kube::api::PostParams {
    kube::api::PostParams {
        field_manager: Some(FIELD_MANAGER.to_string()),
        ..Default::default()
    }
}

/// Parameters for (merge) patch calls, naming our field manager.
pub fn patch_params() -> kube::api::PatchParams {
    kube::api::PatchParams {
        field_manager: Some(FIELD_MANAGER.to_string()),
        ..Default::default()
    }
}

/// The reporting controller name on Events.
pub const REPORTER: &str = "anchorage";

impl Context {
    /// The Event reporter for this replica (`instance` is usually the pod name).
    pub fn reporter(instance: Option<String>) -> Reporter {
        Reporter {
            controller: REPORTER.into(),
            instance,
        }
    }

    /// Whether writes are allowed now (this replica holds the lease and caches are synced).
    pub fn may_write(&self) -> bool {
        self.leader.is_leader() && self.health.is_ready()
    }

    /// What a reconcile returns when it may not write: wait for leadership (a leadership change
    /// re-queues everything) or, while caches are still syncing, retry shortly.
    pub fn idle_action(&self) -> kube::runtime::controller::Action {
        if self.leader.is_leader() {
            kube::runtime::controller::Action::requeue(std::time::Duration::from_secs(1))
        } else {
            kube::runtime::controller::Action::await_change()
        }
    }

    /// Counts one API write of `verb` on `resource`.
    pub fn count_write(&self, resource: &str, verb: &str) {
        self.metrics
            .api_writes
            .with_label_values(&[resource, verb])
            .inc();
    }

    /// Publishes an Event about `regarding`. Failures are logged, never fatal: an Event is
    /// information, not state.
    pub async fn event(
        &self,
        regarding: &ObjectReference,
        warning: bool,
        reason: &str,
        note: impl Into<String>,
    ) {
        if !self.may_write() {
            return;
        }
        let mut note: String = note.into();
        if note.len() > 1000 {
            let mut cut = 1000;
            while !note.is_char_boundary(cut) {
                cut -= 1;
            }
            note.truncate(cut);
        }
        let ev = Event {
            type_: if warning {
                EventType::Warning
            } else {
                EventType::Normal
            },
            reason: reason.to_string(),
            action: reason.to_string(),
            note: Some(note),
            secondary: None,
        };
        self.count_write("events", "create");
        // A recorder per Event: kube-runtime's recorder caches every Event for minutes and folds
        // repeats into the first message; ours are emitted only on change, so neither helps.
        let recorder = Recorder::new(self.client.clone(), self.reporter.clone());
        if let Err(err) = recorder.publish(&ev, regarding).await {
            tracing::warn!(%err, reason, "could not publish event");
        }
    }
}
