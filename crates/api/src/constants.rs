//! Names shared by the API, the controller and the CLI: API group, condition types, reasons,
//! event reasons, annotation and label keys, and cert-manager's defaults and limits.
//!
//! Every string here is cert-manager's own (cert-manager v1.21, `pkg/apis/certmanager/v1` and
//! `pkg/apis/meta/v1`), so `kubectl describe`, dashboards and tools such as `cmctl` read our
//! objects exactly as they read cert-manager's. Anything anchorage adds is marked "(ours)".

use jiff::SignedDuration;

/// API group of all four kinds.
pub const GROUP: &str = "cert-manager.io";
/// API version served and stored.
pub const VERSION: &str = "v1";
/// `apiVersion` value, `cert-manager.io/v1`.
pub const API_VERSION: &str = "cert-manager.io/v1";
/// `kind` of a namespaced issuer.
pub const ISSUER_KIND: &str = "Issuer";
/// `kind` of a cluster-scoped issuer.
pub const CLUSTER_ISSUER_KIND: &str = "ClusterIssuer";
/// `kind` of a Certificate.
pub const CERTIFICATE_KIND: &str = "Certificate";
/// `kind` of a CertificateRequest.
pub const CERTIFICATE_REQUEST_KIND: &str = "CertificateRequest";
/// CRD category shared by all four kinds: `kubectl get cert-manager` lists them together.
pub const CATEGORY: &str = "cert-manager";

// ---------------------------------------------------------------------------------------------
// Condition types
// ---------------------------------------------------------------------------------------------

/// Condition type on Certificates, CertificateRequests and issuers: the object is usable.
pub const CONDITION_READY: &str = "Ready";
/// Condition type on Certificates: an issuance is in progress (`True`) or has failed (`False`).
pub const CONDITION_ISSUING: &str = "Issuing";
/// Condition type on CertificateRequests: the request was approved and may be signed.
pub const CONDITION_APPROVED: &str = "Approved";
/// Condition type on CertificateRequests: the request was denied and will never be signed.
pub const CONDITION_DENIED: &str = "Denied";
/// Condition type on CertificateRequests: the request is malformed and will never be signed.
pub const CONDITION_INVALID_REQUEST: &str = "InvalidRequest";

/// Short alias of [`CONDITION_READY`].
pub const READY: &str = CONDITION_READY;
/// Short alias of [`CONDITION_ISSUING`].
pub const ISSUING: &str = CONDITION_ISSUING;
/// Short alias of [`CONDITION_APPROVED`].
pub const APPROVED: &str = CONDITION_APPROVED;
/// Short alias of [`CONDITION_DENIED`].
pub const DENIED: &str = CONDITION_DENIED;
/// Short alias of [`CONDITION_INVALID_REQUEST`].
pub const INVALID_REQUEST: &str = CONDITION_INVALID_REQUEST;

/// Condition status `True`.
pub const STATUS_TRUE: &str = "True";
/// Condition status `False`.
pub const STATUS_FALSE: &str = "False";
/// Condition status `Unknown`.
pub const STATUS_UNKNOWN: &str = "Unknown";

// ---------------------------------------------------------------------------------------------
// Condition reasons
// ---------------------------------------------------------------------------------------------

/// Reasons used in conditions, spelled as cert-manager spells them.
pub mod reason {
    /// CertificateRequest `Ready=True`: the certificate was signed.
    pub const ISSUED: &str = "Issued";
    /// CertificateRequest `Ready=False`: waiting (for approval, for the issuer).
    pub const PENDING: &str = "Pending";
    /// CertificateRequest `Ready=False`: signing failed terminally for this request.
    pub const FAILED: &str = "Failed";
    /// CertificateRequest `Ready=False` / `Denied=True`: an approver denied the request.
    pub const DENIED: &str = "Denied";
    /// CertificateRequest `Approved=True` set by the controller's auto-approver
    /// (cert-manager's internal approver uses this reason).
    pub const AUTO_APPROVED: &str = "cert-manager.io";
    /// Issuer `Ready=True` for a CA issuer whose key pair was read and checked.
    pub const KEY_PAIR_VERIFIED: &str = "KeyPairVerified";
    /// Issuer `Ready=True` for other issuer types once set up (cert-manager: `IsReady`).
    pub const IS_READY: &str = "IsReady";
    /// Issuer `Ready=False`: the CA Secret could not be read (missing, wrong namespace).
    pub const ERR_GET_KEY_PAIR: &str = "ErrGetKeyPair";
    /// Issuer `Ready=False`: the CA Secret holds no usable key pair (bad PEM, key does not
    /// match, not a CA, expired: the last checks are ours).
    pub const ERR_INVALID_KEY_PAIR: &str = "ErrInvalidKeyPair";
    /// Issuer `Ready=False`: an issuer type anchorage does not implement (acme, vault, venafi).
    pub const UNSUPPORTED_ISSUER_TYPE: &str = "UnsupportedIssuerType";
    /// Issuer `Ready=False`: the spec is invalid (no type, more than one type) (ours).
    pub const INVALID_CONFIG: &str = "InvalidConfig";

    /// Issuing trigger: the target Secret does not exist.
    pub const DOES_NOT_EXIST: &str = "DoesNotExist";
    /// Issuing trigger: the Secret lacks `tls.crt` or `tls.key`.
    pub const MISSING_DATA: &str = "MissingData";
    /// Issuing trigger: `tls.key` is not a parseable private key or does not match `tls.crt`.
    pub const INVALID_KEY_PAIR: &str = "InvalidKeyPair";
    /// Issuing trigger: `tls.crt` is not a parseable certificate.
    pub const INVALID_CERTIFICATE: &str = "InvalidCertificate";
    /// Issuing trigger: the Secret's issuer annotations name a different issuer.
    pub const INCORRECT_ISSUER: &str = "IncorrectIssuer";
    /// Issuing trigger: the Secret's `cert-manager.io/certificate-name` names another Certificate.
    pub const INCORRECT_CERTIFICATE: &str = "IncorrectCertificate";
    /// Issuing trigger: the Secret no longer matches the spec (key, names, usages, isCA).
    pub const SECRET_MISMATCH: &str = "SecretMismatch";
    /// Issuing trigger: the renewal time has passed.
    pub const RENEWING: &str = "Renewing";
    /// Issuing trigger: a user set `Issuing=True` (e.g. `cmctl renew`).
    pub const MANUALLY_TRIGGERED: &str = "ManuallyTriggered";
    /// Issuing trigger: the certificate has expired.
    pub const EXPIRED: &str = "Expired";
    /// Certificate `Ready=True`: the Secret holds an up-to-date, valid certificate.
    pub const READY: &str = "Ready";
    /// Certificate `Ready=False` while a CertificateRequest is being processed.
    pub const IN_PROGRESS: &str = "InProgress";
    /// Certificate `Ready=False`: the spec failed validation (ours; cert-manager's webhook
    /// would have refused it).
    pub const INVALID_SPEC: &str = "InvalidSpec";
    /// Certificate `Ready=False`: the target Secret is managed by another Certificate (ours).
    pub const SECRET_OWNED_BY_OTHER: &str = "SecretOwnedByOther";
}

/// Event reasons, spelled as cert-manager spells them.
pub mod event {
    /// Normal: an issuance started (with the trigger in the message).
    pub const ISSUING: &str = "Issuing";
    /// Normal: a new private key was generated.
    pub const GENERATED: &str = "Generated";
    /// Normal: a CertificateRequest was created.
    pub const REQUESTED: &str = "Requested";
    /// Normal: the existing private key was reused (`rotationPolicy: Never`).
    pub const REUSED: &str = "Reused";
    /// Normal: the certificate was issued and the Secret written.
    pub const ISSUED: &str = "Issued";
    /// Warning: issuance failed.
    pub const FAILED: &str = "Failed";
    /// Warning: the key must change but `rotationPolicy: Never` forbids regenerating it.
    pub const CANNOT_REGENERATE_KEY: &str = "CannotRegenerateKey";
    /// Warning: the requested lifetime was cut to the CA's notAfter (ours).
    pub const CLIPPED_TO_ISSUER_EXPIRY: &str = "ClippedToIssuerExpiry";
    /// Normal: a CertificateRequest was signed (cert-manager: `CertificateIssued`).
    pub const CERTIFICATE_ISSUED: &str = "CertificateIssued";
    /// Normal: an issuer's key pair was verified.
    pub const KEY_PAIR_VERIFIED: &str = "KeyPairVerified";
    /// Warning: an issuer's key pair could not be read.
    pub const ERR_GET_KEY_PAIR: &str = "ErrGetKeyPair";
    /// Warning: an issuer's key pair is invalid.
    pub const ERR_INVALID_KEY_PAIR: &str = "ErrInvalidKeyPair";
}

// ---------------------------------------------------------------------------------------------
// Annotations and labels
// ---------------------------------------------------------------------------------------------

/// Annotation on Secrets and CertificateRequests: the owning Certificate's name.
pub const ANNOTATION_CERTIFICATE_NAME: &str = "cert-manager.io/certificate-name";
/// Annotation on Secrets: the issuer's name.
pub const ANNOTATION_ISSUER_NAME: &str = "cert-manager.io/issuer-name";
/// Annotation on Secrets: the issuer's kind (`Issuer` or `ClusterIssuer`).
pub const ANNOTATION_ISSUER_KIND: &str = "cert-manager.io/issuer-kind";
/// Annotation on Secrets: the issuer's group (`cert-manager.io`).
pub const ANNOTATION_ISSUER_GROUP: &str = "cert-manager.io/issuer-group";
/// Annotation on Secrets: the issued certificate's subject common name.
pub const ANNOTATION_COMMON_NAME: &str = "cert-manager.io/common-name";
/// Annotation on Secrets: the issued DNS SANs, comma-separated.
pub const ANNOTATION_ALT_NAMES: &str = "cert-manager.io/alt-names";
/// Annotation on Secrets: the issued IP SANs, comma-separated.
pub const ANNOTATION_IP_SANS: &str = "cert-manager.io/ip-sans";
/// Annotation on Secrets: the issued URI SANs, comma-separated.
pub const ANNOTATION_URI_SANS: &str = "cert-manager.io/uri-sans";
/// Annotation on Secrets: the issued email SANs, comma-separated.
pub const ANNOTATION_EMAIL_SANS: &str = "cert-manager.io/email-sans";
/// Annotation on Secrets: the issued certificate's subject serial number.
pub const ANNOTATION_SUBJECT_SERIAL_NUMBER: &str = "cert-manager.io/subject-serialnumber";
/// Annotation on CertificateRequests: the Certificate revision the request is for (decimal).
pub const ANNOTATION_CERTIFICATE_REVISION: &str = "cert-manager.io/certificate-revision";
/// Annotation on CertificateRequests: the Secret holding the request's private key.
pub const ANNOTATION_PRIVATE_KEY_SECRET_NAME: &str = "cert-manager.io/private-key-secret-name";
/// Annotation on webhook configurations and CRDs: inject the CA of `<namespace>/<certificate>`.
pub const ANNOTATION_INJECT_CA_FROM: &str = "cert-manager.io/inject-ca-from";

/// Label on Secrets managed by a Certificate, value `"true"`: lets the controller cache only
/// its own Secrets ("for attention of" in cert-manager's naming).
pub const LABEL_FAO: &str = "controller.cert-manager.io/fao";
/// Value of [`LABEL_FAO`].
pub const LABEL_FAO_VALUE: &str = "true";

// ---------------------------------------------------------------------------------------------
// Secret keys
// ---------------------------------------------------------------------------------------------

/// Secret data key: the certificate chain (leaf first), PEM.
pub const TLS_CERT_KEY: &str = "tls.crt";
/// Secret data key: the private key, PEM.
pub const TLS_PRIVATE_KEY_KEY: &str = "tls.key";
/// Secret data key: the CA certificate (top of the chain), PEM.
pub const CA_CERT_KEY: &str = "ca.crt";

// ---------------------------------------------------------------------------------------------
// Defaults and limits
// ---------------------------------------------------------------------------------------------

/// Default `spec.duration`: 2160h (90 days), cert-manager's `DefaultCertificateDuration`.
pub const DEFAULT_DURATION: SignedDuration = SignedDuration::from_hours(2160);
/// Default `spec.duration` as written in manifests.
pub const DEFAULT_DURATION_STR: &str = "2160h";
/// Minimum `spec.duration`: 1h, cert-manager's `MinimumCertificateDuration`.
pub const MIN_DURATION: SignedDuration = SignedDuration::from_hours(1);
/// Minimum `spec.renewBefore`: 5m, cert-manager's `MinimumRenewBefore`.
pub const MIN_RENEW_BEFORE: SignedDuration = SignedDuration::from_mins(5);
/// Maximum length of the subject common name in bytes (RFC 5280 `ub-common-name`, 64).
pub const MAX_COMMON_NAME_BYTES: usize = 64;
/// Default `spec.revisionHistoryLimit` applied by anchorage when unset (DESIGN.md §3; cert-manager
/// keeps all requests when unset).
pub const DEFAULT_REVISION_HISTORY_LIMIT: i32 = 1;
/// Default RSA key size in bits.
pub const DEFAULT_RSA_KEY_SIZE: u32 = 2048;
/// Smallest RSA key size accepted, in bits.
pub const MIN_RSA_KEY_SIZE: u32 = 2048;
/// Largest RSA key size accepted, in bits.
pub const MAX_RSA_KEY_SIZE: u32 = 8192;
/// Default ECDSA key size in bits (curve P-256).
pub const DEFAULT_ECDSA_KEY_SIZE: u32 = 256;
/// Accepted ECDSA key sizes in bits (P-256, P-384, P-521).
pub const ECDSA_KEY_SIZES: [u32; 3] = [256, 384, 521];

/// Key usage `digital signature`.
pub const USAGE_DIGITAL_SIGNATURE: &str = "digital signature";
/// Key usage `key encipherment`.
pub const USAGE_KEY_ENCIPHERMENT: &str = "key encipherment";
/// Key usage `cert sign`.
pub const USAGE_CERT_SIGN: &str = "cert sign";
/// Default `spec.usages` when unset: `digital signature`, `key encipherment`
/// (cert-manager `DefaultKeyUsages`). `isCA: true` adds [`USAGE_CERT_SIGN`].
pub const DEFAULT_USAGES: [&str; 2] = [USAGE_DIGITAL_SIGNATURE, USAGE_KEY_ENCIPHERMENT];

/// Every key usage string cert-manager accepts in `spec.usages` (its `KeyUsage` enum), in
/// cert-manager's order: X.509 key usages (RFC 5280 §4.2.1.3) then extended key usages
/// (§4.2.1.12). `signing` is an alias of `digital signature`.
pub const KNOWN_USAGES: [&str; 23] = [
    "signing",
    "digital signature",
    "content commitment",
    "key encipherment",
    "key agreement",
    "data encipherment",
    "cert sign",
    "crl sign",
    "encipher only",
    "decipher only",
    "any",
    "server auth",
    "client auth",
    "code signing",
    "email protection",
    "s/mime",
    "ipsec end system",
    "ipsec tunnel",
    "ipsec user",
    "timestamping",
    "ocsp signing",
    "microsoft sgc",
    "netscape sgc",
];

/// Key algorithm name `RSA`.
pub const KEY_ALGORITHM_RSA: &str = "RSA";
/// Key algorithm name `ECDSA`.
pub const KEY_ALGORITHM_ECDSA: &str = "ECDSA";
/// Key algorithm name `Ed25519`.
pub const KEY_ALGORITHM_ED25519: &str = "Ed25519";
/// Key encoding name `PKCS1` (`BEGIN RSA PRIVATE KEY` / `BEGIN EC PRIVATE KEY`).
pub const KEY_ENCODING_PKCS1: &str = "PKCS1";
/// Key encoding name `PKCS8` (`BEGIN PRIVATE KEY`).
pub const KEY_ENCODING_PKCS8: &str = "PKCS8";
/// Rotation policy `Never`: reuse the existing private key on renewal.
pub const ROTATION_POLICY_NEVER: &str = "Never";
/// Rotation policy `Always`: generate a new private key on every issuance.
pub const ROTATION_POLICY_ALWAYS: &str = "Always";
