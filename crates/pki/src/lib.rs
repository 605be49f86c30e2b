//! anchorage-pki: keys, CSRs, CA material, signing and renewal maths over OpenSSL.
//! Pure functions over bytes and explicit instants: no Kubernetes, no async runtime.
//!
//! - [`duration`]: Go-style durations (`8760h`, `1h30m`), the one implementation in the project.
//! - [`renewal`]: cert-manager's renewal-time rule (DESIGN.md §4).
//! - [`key`], [`csr`], [`ca`], [`sign`], [`cert`]: keys, requests, CA bundles, issuing, reading.
//! - [`pem`]: lenient PEM reading and strict (LF, 64 columns, one final newline) writing.
//!
//! All crypto goes through OpenSSL (the `openssl` crate). Every error is a [`PkiError`] (or a
//! [`DurationError`]) and is terminal for its input.

pub mod ca;
pub mod cert;
pub mod csr;
mod der;
pub mod duration;
pub mod error;
mod ext;
pub mod key;
pub mod pem;
pub mod renewal;
pub mod sign;
pub mod usage;

pub use ca::CaMaterial;
pub use cert::{CertInfo, cert_info, load_certificates, normalize_pem_bundle, parse_certificates};
pub use csr::{
    CsrParams, MAX_COMMON_NAME_BYTES, ParsedCsr, build_csr, check_common_name, parse_csr,
    parse_csr_der,
};
pub use duration::{format_go_duration, parse_go_duration};
pub use error::{DurationError, PkiError};
pub use key::{EcCurve, KeyAlgorithm, KeyEncoding, PrivateKey};
pub use pem::{PemBlock, encode_pem, parse_pem};
pub use renewal::{renewal_time, renewal_time_with_backdate};
pub use sign::{Issued, SignParams, self_sign_csr, sign_csr};
pub use usage::KeyUsage;
