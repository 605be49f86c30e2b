//! Private keys: generation, PEM encoding (PKCS#1 / SEC1 / PKCS#8) and lenient parsing.

use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{HasPublic, Id, PKey, PKeyRef, Private, Public};
use openssl::rsa::Rsa;

use crate::PkiError;
use crate::pem::{encode_pem, parse_pem};

/// Smallest RSA modulus accepted, in bits (cert-manager's lower bound).
pub const RSA_MIN_BITS: u32 = 2048;
/// Largest RSA modulus accepted, in bits (cert-manager's upper bound).
pub const RSA_MAX_BITS: u32 = 8192;

/// A named elliptic curve (RFC 5480).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EcCurve {
    /// NIST P-256 / prime256v1 (secp256r1): step's and Linkerd's default.
    P256,
    /// NIST P-384 / secp384r1.
    P384,
    /// NIST P-521 / secp521r1.
    P521,
}

impl EcCurve {
    /// Size in bits as cert-manager's `privateKey.size` counts it (256, 384, 521).
    pub fn bits(self) -> u32 {
        match self {
            EcCurve::P256 => 256,
            EcCurve::P384 => 384,
            EcCurve::P521 => 521,
        }
    }

    /// The JOSE / step name (`P-256`, `P-384`, `P-521`).
    pub fn name(self) -> &'static str {
        match self {
            EcCurve::P256 => "P-256",
            EcCurve::P384 => "P-384",
            EcCurve::P521 => "P-521",
        }
    }

    fn nid(self) -> Nid {
        match self {
            EcCurve::P256 => Nid::X9_62_PRIME256V1,
            EcCurve::P384 => Nid::SECP384R1,
            EcCurve::P521 => Nid::SECP521R1,
        }
    }

    fn from_nid(nid: Nid) -> Option<Self> {
        match nid {
            Nid::X9_62_PRIME256V1 => Some(EcCurve::P256),
            Nid::SECP384R1 => Some(EcCurve::P384),
            Nid::SECP521R1 => Some(EcCurve::P521),
            _ => None,
        }
    }
}

/// Key algorithm and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// RSA with a modulus of `bits` bits (2048..=8192).
    Rsa {
        /// Modulus size in bits.
        bits: u32,
    },
    /// ECDSA on a named curve.
    Ecdsa {
        /// The curve.
        curve: EcCurve,
    },
    /// Ed25519 (RFC 8410).
    Ed25519,
}

impl KeyAlgorithm {
    /// The signature hash used when this key signs (cert-manager's `SignatureAlgorithm` rule):
    /// RSA ≥ 4096 bits SHA-512, ≥ 3072 SHA-384, else SHA-256; P-384 SHA-384; P-521 SHA-512;
    /// P-256 SHA-256; Ed25519 none (pure EdDSA, RFC 8410).
    pub fn signature_digest(self) -> MessageDigest {
        match self {
            KeyAlgorithm::Rsa { bits } if bits >= 4096 => MessageDigest::sha512(),
            KeyAlgorithm::Rsa { bits } if bits >= 3072 => MessageDigest::sha384(),
            KeyAlgorithm::Rsa { .. } => MessageDigest::sha256(),
            KeyAlgorithm::Ecdsa {
                curve: EcCurve::P256,
            } => MessageDigest::sha256(),
            KeyAlgorithm::Ecdsa {
                curve: EcCurve::P384,
            } => MessageDigest::sha384(),
            KeyAlgorithm::Ecdsa {
                curve: EcCurve::P521,
            } => MessageDigest::sha512(),
            KeyAlgorithm::Ed25519 => MessageDigest::null(),
        }
    }

    /// Human-readable description (`ECDSA P-256`, `RSA 2048`, `Ed25519`).
    pub fn describe(self) -> String {
        match self {
            KeyAlgorithm::Rsa { bits } => format!("RSA {bits}"),
            KeyAlgorithm::Ecdsa { curve } => format!("ECDSA {}", curve.name()),
            KeyAlgorithm::Ed25519 => "Ed25519".to_string(),
        }
    }

    /// Detects the algorithm of any OpenSSL key.
    ///
    /// # Errors
    /// [`PkiError::UnsupportedKey`] for DSA, other curves, X25519 and the like.
    pub fn of<T: HasPublic>(key: &PKeyRef<T>) -> Result<Self, PkiError> {
        match key.id() {
            Id::RSA => Ok(KeyAlgorithm::Rsa { bits: key.bits() }),
            Id::EC => {
                let ec = key.ec_key().map_err(PkiError::ssl("reading an EC key"))?;
                let nid = ec.group().curve_name();
                nid.and_then(EcCurve::from_nid)
                    .map(|curve| KeyAlgorithm::Ecdsa { curve })
                    .ok_or_else(|| PkiError::UnsupportedKey {
                        reason: format!(
                            "EC key on curve {}",
                            nid.and_then(|n| n.short_name().ok())
                                .unwrap_or("(explicit parameters)")
                        ),
                    })
            }
            Id::ED25519 => Ok(KeyAlgorithm::Ed25519),
            other => Err(PkiError::UnsupportedKey {
                reason: format!("key type with OpenSSL id {}", other.as_raw()),
            }),
        }
    }
}

/// Decodes a SubjectPublicKeyInfo (DER) into an OpenSSL public key.
///
/// RSA and EC keys go through OpenSSL's legacy `d2i_*_PUBKEY` decoders, which are an order of
/// magnitude faster than the generic OpenSSL 3 decoder and make the resulting key cheap to embed
/// in a certificate (this matters for signing throughput, DESIGN.md §8).
///
/// # Errors
/// [`PkiError::InvalidKey`] if the bytes are not a public key; [`PkiError::UnsupportedKey`].
pub fn public_key_from_spki(spki: &[u8]) -> Result<PKey<Public>, PkiError> {
    let invalid = |e: openssl::error::ErrorStack| PkiError::InvalidKey {
        label: "PUBLIC KEY".into(),
        reason: e.to_string(),
    };
    let alg_oid = spki_algorithm(spki).ok_or_else(|| PkiError::InvalidKey {
        label: "PUBLIC KEY".into(),
        reason: "malformed SubjectPublicKeyInfo".into(),
    })?;
    let ec = crate::der::oid_content("1.2.840.10045.2.1").unwrap_or_default();
    let rsa = crate::der::oid_content("1.2.840.113549.1.1.1").unwrap_or_default();
    let pkey = if alg_oid == ec {
        let key = EcKey::public_key_from_der(spki).map_err(invalid)?;
        PKey::from_ec_key(key).map_err(invalid)?
    } else if alg_oid == rsa {
        let key = Rsa::public_key_from_der(spki).map_err(invalid)?;
        PKey::from_rsa(key).map_err(invalid)?
    } else {
        PKey::public_key_from_der(spki).map_err(invalid)?
    };
    KeyAlgorithm::of(&pkey)?;
    Ok(pkey)
}

/// The algorithm OID (DER content) of a SubjectPublicKeyInfo.
fn spki_algorithm(spki: &[u8]) -> Option<Vec<u8>> {
    use crate::der::{Reader, TAG_OID, TAG_SEQUENCE, single};
    let outer = single(spki, TAG_SEQUENCE).ok()?;
    let alg = Reader::new(outer.content).take(TAG_SEQUENCE).ok()?;
    let oid = Reader::new(alg.content).take(TAG_OID).ok()?;
    Some(oid.content.to_vec())
}

/// PEM encoding of a private key, cert-manager's `privateKey.encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KeyEncoding {
    /// PKCS#1 `RSA PRIVATE KEY` (RFC 8017) for RSA, SEC1 `EC PRIVATE KEY` (RFC 5915) for ECDSA.
    /// Ed25519 has no such form and is always written as PKCS#8. cert-manager's default.
    #[default]
    Pkcs1,
    /// PKCS#8 `PRIVATE KEY` (RFC 5208/5958): what rustls-based consumers such as Linkerd's policy
    /// validator read.
    Pkcs8,
}

/// An unencrypted private key (RSA, ECDSA or Ed25519).
#[derive(Clone)]
pub struct PrivateKey {
    pkey: PKey<Private>,
    alg: KeyAlgorithm,
    /// The EC key behind `pkey`, kept for the fast `ECDSA_do_sign` path.
    ec: Option<EcKey<Private>>,
}

impl std::fmt::Debug for PrivateKey {
    // Never print key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("algorithm", &self.alg)
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// Generates a fresh key.
    ///
    /// # Errors
    /// [`PkiError::UnsupportedKey`] for RSA outside 2048..=8192 bits; [`PkiError::OpenSsl`] if
    /// OpenSSL fails.
    pub fn generate(alg: KeyAlgorithm) -> Result<Self, PkiError> {
        let pkey = match alg {
            KeyAlgorithm::Rsa { bits } => {
                if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
                    return Err(PkiError::UnsupportedKey {
                        reason: format!("RSA key size {bits} bits"),
                    });
                }
                let rsa = Rsa::generate(bits).map_err(PkiError::ssl("generating an RSA key"))?;
                PKey::from_rsa(rsa).map_err(PkiError::ssl("wrapping an RSA key"))?
            }
            KeyAlgorithm::Ecdsa { curve } => {
                let group = EcGroup::from_curve_name(curve.nid())
                    .map_err(PkiError::ssl("loading an EC group"))?;
                let ec = EcKey::generate(&group).map_err(PkiError::ssl("generating an EC key"))?;
                PKey::from_ec_key(ec).map_err(PkiError::ssl("wrapping an EC key"))?
            }
            KeyAlgorithm::Ed25519 => {
                PKey::generate_ed25519().map_err(PkiError::ssl("generating an Ed25519 key"))?
            }
        };
        PrivateKey::from_pkey(pkey)
    }

    /// Wraps an OpenSSL key, checking that its algorithm is supported.
    ///
    /// # Errors
    /// [`PkiError::UnsupportedKey`].
    pub fn from_pkey(pkey: PKey<Private>) -> Result<Self, PkiError> {
        let alg = KeyAlgorithm::of(&pkey)?;
        if let KeyAlgorithm::Rsa { bits } = alg
            && !(1024..=16384).contains(&bits)
        {
            return Err(PkiError::UnsupportedKey {
                reason: format!("RSA key size {bits} bits"),
            });
        }
        let ec = match alg {
            KeyAlgorithm::Ecdsa { .. } => {
                Some(pkey.ec_key().map_err(PkiError::ssl("reading an EC key"))?)
            }
            _ => None,
        };
        Ok(PrivateKey { pkey, alg, ec })
    }

    /// Signs `data` (DER of a to-be-signed structure) the way X.509 signatures are made: ECDSA
    /// and RSA PKCS#1 v1.5 over the hash of [`KeyAlgorithm::signature_digest`], pure Ed25519.
    /// Returns the signature value (a DER ECDSA-Sig-Value for ECDSA, RFC 5758 §3.2).
    ///
    /// # Errors
    /// [`PkiError::OpenSsl`].
    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>, PkiError> {
        if let Some(ec) = &self.ec {
            // ECDSA_do_sign on the legacy key skips OpenSSL 3's per-call provider set-up.
            let digest = openssl::hash::hash(self.alg.signature_digest(), data)
                .map_err(PkiError::ssl("hashing"))?;
            let sig = openssl::ecdsa::EcdsaSig::sign(&digest, ec)
                .map_err(PkiError::ssl("signing with ECDSA"))?;
            return sig.to_der().map_err(PkiError::ssl("encoding a signature"));
        }
        let mut signer = match self.alg {
            KeyAlgorithm::Ed25519 => openssl::sign::Signer::new_without_digest(&self.pkey),
            alg => openssl::sign::Signer::new(alg.signature_digest(), &self.pkey),
        }
        .map_err(PkiError::ssl("preparing to sign"))?;
        signer
            .sign_oneshot_to_vec(data)
            .map_err(PkiError::ssl("signing"))
    }

    /// Parses the first private key in a PEM input: PKCS#1 (`RSA PRIVATE KEY`), SEC1
    /// (`EC PRIVATE KEY`, optionally after an `EC PARAMETERS` block) or PKCS#8 (`PRIVATE KEY`).
    /// CRLF line endings, blank lines and surrounding text are tolerated.
    ///
    /// # Errors
    /// [`PkiError::EncryptedKey`] for `ENCRYPTED PRIVATE KEY` or a `Proc-Type: 4,ENCRYPTED`
    /// header; [`PkiError::NoPrivateKey`] if no key block is present; [`PkiError::InvalidKey`]
    /// if the block does not decode; [`PkiError::Pem`] for broken PEM;
    /// [`PkiError::UnsupportedKey`] for other algorithms.
    pub fn from_pem(pem: &[u8]) -> Result<Self, PkiError> {
        let blocks = parse_pem(pem, "private key")?;
        for block in blocks {
            let encrypted_header = block.headers.iter().any(|(k, v)| {
                k.eq_ignore_ascii_case("Proc-Type") && v.to_ascii_uppercase().contains("ENCRYPTED")
            });
            let invalid = |e: openssl::error::ErrorStack| PkiError::InvalidKey {
                label: block.label.clone(),
                reason: e.to_string(),
            };
            let pkey = match block.label.as_str() {
                "ENCRYPTED PRIVATE KEY" => return Err(PkiError::EncryptedKey),
                _ if encrypted_header => return Err(PkiError::EncryptedKey),
                "PRIVATE KEY" => PKey::private_key_from_pkcs8(&block.der).map_err(invalid)?,
                "RSA PRIVATE KEY" => {
                    let rsa = Rsa::private_key_from_der(&block.der).map_err(invalid)?;
                    PKey::from_rsa(rsa).map_err(invalid)?
                }
                "EC PRIVATE KEY" => {
                    let ec = EcKey::private_key_from_der(&block.der).map_err(invalid)?;
                    PKey::from_ec_key(ec).map_err(invalid)?
                }
                _ => continue,
            };
            return PrivateKey::from_pkey(pkey);
        }
        Err(PkiError::NoPrivateKey)
    }

    /// Encodes the key as one normalised PEM block (LF, 64 columns, exactly one final newline).
    ///
    /// `Pkcs1` gives `RSA PRIVATE KEY` (RSA) or `EC PRIVATE KEY` (SEC1, named curve, ECDSA);
    /// Ed25519 is always `PRIVATE KEY` (PKCS#8). `Pkcs8` always gives `PRIVATE KEY`.
    ///
    /// # Errors
    /// [`PkiError::OpenSsl`] if OpenSSL cannot serialise the key.
    pub fn to_pem(&self, enc: KeyEncoding) -> Result<Vec<u8>, PkiError> {
        let (label, der) = match (enc, self.alg) {
            (KeyEncoding::Pkcs1, KeyAlgorithm::Rsa { .. }) => {
                let rsa = self
                    .pkey
                    .rsa()
                    .map_err(PkiError::ssl("reading an RSA key"))?;
                let der = rsa
                    .private_key_to_der()
                    .map_err(PkiError::ssl("encoding a PKCS#1 key"))?;
                ("RSA PRIVATE KEY", der)
            }
            (KeyEncoding::Pkcs1, KeyAlgorithm::Ecdsa { .. }) => {
                let ec = self
                    .pkey
                    .ec_key()
                    .map_err(PkiError::ssl("reading an EC key"))?;
                let der = ec
                    .private_key_to_der()
                    .map_err(PkiError::ssl("encoding a SEC1 key"))?;
                ("EC PRIVATE KEY", der)
            }
            _ => {
                let der = self
                    .pkey
                    .private_key_to_pkcs8()
                    .map_err(PkiError::ssl("encoding a PKCS#8 key"))?;
                ("PRIVATE KEY", der)
            }
        };
        Ok(encode_pem(label, &der))
    }

    /// The key's algorithm and size.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.alg
    }

    /// DER of the SubjectPublicKeyInfo (RFC 5280 §4.1.2.7); equal bytes mean equal keys.
    ///
    /// # Errors
    /// [`PkiError::OpenSsl`] if OpenSSL cannot serialise the key.
    pub fn public_key_der(&self) -> Result<Vec<u8>, PkiError> {
        self.pkey
            .public_key_to_der()
            .map_err(PkiError::ssl("encoding a public key"))
    }

    /// The public half as an OpenSSL key.
    ///
    /// # Errors
    /// [`PkiError::OpenSsl`].
    pub fn public_key(&self) -> Result<PKey<Public>, PkiError> {
        let der = self.public_key_der()?;
        PKey::public_key_from_der(&der).map_err(PkiError::ssl("decoding a public key"))
    }

    /// The underlying OpenSSL key.
    pub fn pkey(&self) -> &PKeyRef<Private> {
        &self.pkey
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_line(pem: &[u8]) -> String {
        String::from_utf8_lossy(pem)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    }

    #[test]
    fn encodings_bc11() {
        let cases = [
            (
                KeyAlgorithm::Ecdsa {
                    curve: EcCurve::P256,
                },
                KeyEncoding::Pkcs1,
                "-----BEGIN EC PRIVATE KEY-----",
            ),
            (
                KeyAlgorithm::Ecdsa {
                    curve: EcCurve::P256,
                },
                KeyEncoding::Pkcs8,
                "-----BEGIN PRIVATE KEY-----",
            ),
            (
                KeyAlgorithm::Rsa { bits: 2048 },
                KeyEncoding::Pkcs1,
                "-----BEGIN RSA PRIVATE KEY-----",
            ),
            (
                KeyAlgorithm::Rsa { bits: 2048 },
                KeyEncoding::Pkcs8,
                "-----BEGIN PRIVATE KEY-----",
            ),
            (
                KeyAlgorithm::Ed25519,
                KeyEncoding::Pkcs1,
                "-----BEGIN PRIVATE KEY-----",
            ),
            (
                KeyAlgorithm::Ecdsa {
                    curve: EcCurve::P521,
                },
                KeyEncoding::Pkcs1,
                "-----BEGIN EC PRIVATE KEY-----",
            ),
        ];
        for (alg, enc, line) in cases {
            let key = PrivateKey::generate(alg).unwrap();
            let pem = key.to_pem(enc).unwrap();
            assert_eq!(first_line(&pem), line, "{alg:?} {enc:?}");
            assert!(pem.ends_with(b"-----\n") && !pem.ends_with(b"\n\n"));
            let back = PrivateKey::from_pem(&pem).unwrap();
            assert_eq!(back.algorithm(), alg);
            assert_eq!(
                back.public_key_der().unwrap(),
                key.public_key_der().unwrap()
            );
        }
    }

    #[test]
    fn lenient_parsing() {
        let key = PrivateKey::generate(KeyAlgorithm::Ecdsa {
            curve: EcCurve::P384,
        })
        .unwrap();
        let sec1 = String::from_utf8(key.to_pem(KeyEncoding::Pkcs1).unwrap()).unwrap();
        // secp384r1 named-curve parameters, as `openssl ecparam -genkey` writes them.
        let params = "-----BEGIN EC PARAMETERS-----\nBgUrgQQAIg==\n-----END EC PARAMETERS-----\n";
        let crlf = format!("{params}{sec1}\n\n\n").replace('\n', "\r\n");
        let back = PrivateKey::from_pem(crlf.as_bytes()).unwrap();
        assert_eq!(
            back.public_key_der().unwrap(),
            key.public_key_der().unwrap()
        );
    }

    #[test]
    fn encrypted_and_missing_keys() {
        let key = PrivateKey::generate(KeyAlgorithm::Ecdsa {
            curve: EcCurve::P256,
        })
        .unwrap();
        let enc = key
            .pkey()
            .private_key_to_pem_pkcs8_passphrase(openssl::symm::Cipher::aes_128_cbc(), b"pw")
            .unwrap();
        assert!(matches!(
            PrivateKey::from_pem(&enc),
            Err(PkiError::EncryptedKey)
        ));
        let rsa = Rsa::generate(2048).unwrap();
        let legacy = rsa
            .private_key_to_pem_passphrase(openssl::symm::Cipher::aes_128_cbc(), b"pw")
            .unwrap();
        assert!(matches!(
            PrivateKey::from_pem(&legacy),
            Err(PkiError::EncryptedKey)
        ));
        assert!(matches!(
            PrivateKey::from_pem(b"-----BEGIN CERTIFICATE-----\naGk=\n-----END CERTIFICATE-----\n"),
            Err(PkiError::NoPrivateKey)
        ));
        assert!(matches!(
            PrivateKey::from_pem(b"-----BEGIN PRIVATE KEY-----\naGk=\n-----END PRIVATE KEY-----\n"),
            Err(PkiError::InvalidKey { .. })
        ));
    }

    #[test]
    fn rsa_size_limits() {
        assert!(matches!(
            PrivateKey::generate(KeyAlgorithm::Rsa { bits: 1024 }),
            Err(PkiError::UnsupportedKey { .. })
        ));
        assert!(matches!(
            PrivateKey::generate(KeyAlgorithm::Rsa { bits: 9000 }),
            Err(PkiError::UnsupportedKey { .. })
        ));
    }

    #[test]
    fn digest_rule() {
        let name = |alg| {
            KeyAlgorithm::signature_digest(alg)
                .type_()
                .short_name()
                .unwrap_or("none")
                .to_string()
        };
        assert_eq!(name(KeyAlgorithm::Rsa { bits: 2048 }), "SHA256");
        assert_eq!(name(KeyAlgorithm::Rsa { bits: 3072 }), "SHA384");
        assert_eq!(name(KeyAlgorithm::Rsa { bits: 4096 }), "SHA512");
        assert_eq!(
            name(KeyAlgorithm::Ecdsa {
                curve: EcCurve::P384
            }),
            "SHA384"
        );
        assert_eq!(
            name(KeyAlgorithm::Ecdsa {
                curve: EcCurve::P521
            }),
            "SHA512"
        );
    }
}
