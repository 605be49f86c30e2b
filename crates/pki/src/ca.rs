//! CA key pairs as stored in a `kubernetes.io/tls` Secret (`tls.crt`, `tls.key`, `ca.crt`).

use jiff::Timestamp;
use openssl::x509::{X509, X509Ref};

use crate::PkiError;
use crate::cert::{CertInfo, cert_info, is_self_signed, issued_by, load_certificates};
use crate::ext;
use crate::key::PrivateKey;
use crate::pem::encode_pem;
use crate::usage::KeyUsage;

/// A loaded, checked CA: its certificate chain ordered from the signing CA up to the root (when
/// known), de-duplicated, and the signing key.
#[derive(Debug, Clone)]
pub struct CaMaterial {
    chain: Vec<X509>,
    infos: Vec<CertInfo>,
    key: PrivateKey,
    key_id: Vec<u8>,
    subject_der: Vec<u8>,
    root: bool,
    /// PEM of the chain certificates that go into `tls.crt` after the leaf.
    tls_chain_pem: Vec<u8>,
    /// PEM of the top of the chain (`ca.crt`).
    ca_pem: Vec<u8>,
}

/// Whether `cert` holds the public key whose (OpenSSL-normalised) SPKI DER is `spki`.
fn same_key(cert: &X509Ref, spki: &[u8]) -> bool {
    let Ok(der) = cert.to_der() else { return false };
    let Ok(raw) = crate::cert::cert_spki(&der) else {
        return false;
    };
    raw == spki
        || crate::key::public_key_from_spki(raw)
            .ok()
            .and_then(|k| k.public_key_to_der().ok())
            .is_some_and(|d| d == spki)
}

impl CaMaterial {
    /// Loads a CA from PEM `tls.crt` (one certificate or a chain, any order, duplicates
    /// allowed), PEM `tls.key` and an optional PEM `ca.crt`.
    ///
    /// The certificate whose public key matches `tls.key` is the signing CA; the chain is built
    /// upwards from it by issuer name and signature, stopping at a self-signed certificate. If
    /// the chain does not end at a self-signed root, certificates from `ca.crt` that continue it
    /// are appended (other `ca.crt` certificates, e.g. an old anchor in a rotation bundle, are
    /// ignored).
    ///
    /// # Errors
    /// - [`PkiError::NoCertificate`] / [`PkiError::InvalidCertificate`] / [`PkiError::Pem`] for
    ///   unreadable input; key errors from [`PrivateKey::from_pem`];
    /// - [`PkiError::KeyMismatch`] when no certificate in `tls.crt` matches the key;
    /// - [`PkiError::BrokenChain`] (`certificate chain is malformed or broken`, cert-manager's
    ///   wording) naming a `tls.crt` certificate that is not part of the chain;
    /// - [`PkiError::NotCa`] unless the signing certificate has basicConstraints cA=TRUE
    ///   (RFC 5280 §4.2.1.9) and, when keyUsage is present, keyCertSign (§4.2.1.3).
    pub fn load(tls_crt: &[u8], tls_key: &[u8], ca_crt: Option<&[u8]>) -> Result<Self, PkiError> {
        let key = PrivateKey::from_pem(tls_key)?;
        let certs = load_certificates(tls_crt, "tls.crt")?;
        let extra = match ca_crt {
            Some(pem) if !pem.iter().all(u8::is_ascii_whitespace) => {
                load_certificates(pem, "ca.crt")?
            }
            _ => Vec::new(),
        };
        Self::from_parts(certs, extra, key)
    }

    /// [`CaMaterial::load`] for already-decoded inputs.
    ///
    /// # Errors
    /// As [`CaMaterial::load`].
    pub fn from_parts(
        certs: Vec<X509>,
        extra: Vec<X509>,
        key: PrivateKey,
    ) -> Result<Self, PkiError> {
        let spki = key.public_key_der()?;
        let mut remaining = certs;
        let pos = remaining
            .iter()
            .position(|c| same_key(c, &spki))
            .ok_or_else(|| PkiError::KeyMismatch {
                subject: remaining
                    .first()
                    .map(|c| ext::name_to_string(c.subject_name()))
                    .unwrap_or_default(),
            })?;
        let mut chain = vec![remaining.remove(pos)];
        let mut extra = extra;
        while let Some(top) = chain.last() {
            if is_self_signed(top) {
                break;
            }
            if let Some(i) = remaining.iter().position(|c| issued_by(top, c)) {
                chain.push(remaining.remove(i));
            } else if let Some(i) = extra.iter().position(|c| issued_by(top, c)) {
                chain.push(extra.remove(i));
            } else {
                break;
            }
        }
        if let Some(stray) = remaining.first() {
            return Err(PkiError::BrokenChain {
                subject: ext::name_to_string(stray.subject_name()),
            });
        }
        let infos = chain
            .iter()
            .map(|c| cert_info(c))
            .collect::<Result<Vec<_>, _>>()?;
        let leaf = &infos[0];
        if !leaf.is_ca {
            return Err(PkiError::NotCa {
                subject: leaf.subject.clone(),
                reason: "basicConstraints does not say CA:TRUE; issue it with isCA: true (or --profile root-ca / intermediate-ca)".into(),
            });
        }
        if leaf.has_key_usage && !leaf.usages.contains(&KeyUsage::CertSign) {
            return Err(PkiError::NotCa {
                subject: leaf.subject.clone(),
                reason: "keyUsage lacks keyCertSign (`cert sign`); re-issue it with that usage"
                    .into(),
            });
        }
        let key_id = match &leaf.subject_key_id {
            Some(id) => id.clone(),
            None => ext::key_identifier(&spki)?,
        };
        let root = chain.last().is_some_and(|c| is_self_signed(c));
        let upto = if root { infos.len() - 1 } else { infos.len() };
        let tls_chain_pem = infos[..upto]
            .iter()
            .flat_map(|i| encode_pem("CERTIFICATE", &i.der))
            .collect();
        let ca_pem = infos
            .last()
            .map(|i| encode_pem("CERTIFICATE", &i.der))
            .unwrap_or_default();
        let subject_der = chain[0]
            .subject_name()
            .to_der()
            .map_err(PkiError::ssl("encoding the CA subject"))?;
        Ok(CaMaterial {
            chain,
            infos,
            key,
            key_id,
            subject_der,
            root,
            tls_chain_pem,
            ca_pem,
        })
    }

    /// Fails unless every certificate of the chain is valid at `now` (notBefore <= now <=
    /// notAfter, RFC 5280 §4.1.2.5). A CA outside its validity would issue certificates that are
    /// invalid on arrival (BC-05).
    ///
    /// # Errors
    /// [`PkiError::CaExpired`] (message contains "expired" and notAfter in RFC 3339) or
    /// [`PkiError::CaNotYetValid`].
    pub fn check_valid_at(&self, now: Timestamp) -> Result<(), PkiError> {
        for info in &self.infos {
            if now > info.not_after {
                return Err(PkiError::CaExpired {
                    subject: info.subject.clone(),
                    not_after: info.not_after,
                });
            }
            if now < info.not_before {
                return Err(PkiError::CaNotYetValid {
                    subject: info.subject.clone(),
                    not_before: info.not_before,
                });
            }
        }
        Ok(())
    }

    /// notAfter of the signing CA certificate.
    pub fn not_after(&self) -> Timestamp {
        self.infos[0].not_after
    }

    /// notBefore of the signing CA certificate.
    pub fn not_before(&self) -> Timestamp {
        self.infos[0].not_before
    }

    /// The earliest notAfter of the whole chain: issued certificates are clipped to it.
    pub fn chain_not_after(&self) -> Timestamp {
        self.infos
            .iter()
            .map(|i| i.not_after)
            .min()
            .unwrap_or_else(|| self.not_after())
    }

    /// Subject of the signing CA certificate, RFC 4514-style.
    pub fn subject(&self) -> String {
        self.infos[0].subject.clone()
    }

    /// The signing CA certificate.
    pub fn certificate(&self) -> &X509Ref {
        &self.chain[0]
    }

    /// The chain from the signing CA upwards (index 0 = signing CA).
    pub fn chain(&self) -> &[X509] {
        &self.chain
    }

    /// Descriptions of [`CaMaterial::chain`], same order.
    pub fn chain_info(&self) -> &[CertInfo] {
        &self.infos
    }

    /// Whether the chain ends at a self-signed root.
    pub fn has_root(&self) -> bool {
        self.root
    }

    /// What follows an issued certificate in `tls.crt`: the chain without a self-signed root
    /// (normalised PEM; empty for a self-signed CA).
    pub fn tls_chain_pem(&self) -> &[u8] {
        &self.tls_chain_pem
    }

    /// `ca.crt` of issued certificates: the top of the chain, one PEM block (BC-07).
    pub fn ca_pem(&self) -> &[u8] {
        &self.ca_pem
    }

    /// DER of the signing CA's subject Name (the issuer of what it signs).
    pub(crate) fn subject_der(&self) -> &[u8] {
        &self.subject_der
    }

    /// The CA's private key.
    pub fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// The key identifier issued certificates carry as authorityKeyIdentifier: the CA's
    /// subjectKeyIdentifier, or RFC 5280 §4.2.1.2 method (1) when it has none.
    pub fn key_id(&self) -> &[u8] {
        &self.key_id
    }
}
