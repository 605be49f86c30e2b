//! Integration tests of anchorage-pki against the behaviour cases (shared/cases.md) and
//! independent verifiers: rustls-webpki for chains, rustls-pki-types for key PEM.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test]

use anchorage_pki::*;
use jiff::{SignedDuration, Timestamp};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}
fn h(n: i64) -> SignedDuration {
    SignedDuration::from_hours(n)
}
fn p256() -> PrivateKey {
    PrivateKey::generate(KeyAlgorithm::Ecdsa {
        curve: EcCurve::P256,
    })
    .unwrap()
}

struct Ca {
    key: PrivateKey,
    pem: Vec<u8>,
}

fn csr_for(key: &PrivateKey, cn: &str, is_ca: bool) -> ParsedCsr {
    parse_csr(
        &build_csr(
            key,
            &CsrParams {
                common_name: Some(cn.into()),
                is_ca,
                ..CsrParams::default()
            },
        )
        .unwrap(),
    )
    .unwrap()
}

fn ca_params(now: Timestamp, d: SignedDuration, path_len: Option<u32>) -> SignParams {
    SignParams {
        is_ca: true,
        path_len,
        usages: vec![KeyUsage::CertSign, KeyUsage::CrlSign],
        ..SignParams::new(now, d)
    }
}

fn root(cn: &str, alg: KeyAlgorithm, now: Timestamp, d: SignedDuration) -> Ca {
    root_with_path_len(cn, alg, now, d, Some(1))
}

fn root_with_path_len(
    cn: &str,
    alg: KeyAlgorithm,
    now: Timestamp,
    d: SignedDuration,
    path_len: Option<u32>,
) -> Ca {
    let key = PrivateKey::generate(alg).unwrap();
    let issued =
        self_sign_csr(&csr_for(&key, cn, true), &key, &ca_params(now, d, path_len)).unwrap();
    Ca {
        key,
        pem: issued.certificate_pem,
    }
}

fn material(ca: &Ca) -> CaMaterial {
    CaMaterial::load(&ca.pem, &ca.key.to_pem(KeyEncoding::Pkcs8).unwrap(), None).unwrap()
}

fn intermediate(parent: &CaMaterial, cn: &str, now: Timestamp, path_len: Option<u32>) -> Ca {
    let key = p256();
    let issued = sign_csr(
        &csr_for(&key, cn, true),
        parent,
        &ca_params(now, h(8760), path_len),
    )
    .unwrap();
    Ca {
        key,
        pem: issued.certificate_der_pem(),
    }
}

trait LeafPem {
    fn certificate_der_pem(&self) -> Vec<u8>;
}
impl LeafPem for Issued {
    fn certificate_der_pem(&self) -> Vec<u8> {
        encode_pem("CERTIFICATE", &self.certificate_der)
    }
}

fn leaf_csr(dns: &[&str], ips: &[&str]) -> (PrivateKey, ParsedCsr) {
    let key = p256();
    let csr = parse_csr(
        &build_csr(
            &key,
            &CsrParams {
                dns_names: dns.iter().map(|s| s.to_string()).collect(),
                ip_addresses: ips.iter().map(|s| s.parse().unwrap()).collect(),
                usages: vec![
                    KeyUsage::DigitalSignature,
                    KeyUsage::KeyEncipherment,
                    KeyUsage::ServerAuth,
                ],
                ..CsrParams::default()
            },
        )
        .unwrap(),
    )
    .unwrap();
    (key, csr)
}

fn leaf_params(now: Timestamp, d: SignedDuration) -> SignParams {
    SignParams {
        backdate: SignedDuration::from_secs(30),
        usages: vec![
            KeyUsage::DigitalSignature,
            KeyUsage::KeyEncipherment,
            KeyUsage::ServerAuth,
        ],
        ..SignParams::new(now, d)
    }
}

fn ders(pem: &[u8]) -> Vec<Vec<u8>> {
    parse_pem(pem, "t")
        .unwrap()
        .into_iter()
        .map(|b| b.der)
        .collect()
}

/// Verifies `tls.crt` (leaf + intermediates) against `ca.crt` with rustls-webpki at `at`.
fn webpki_verify(tls_crt: &[u8], ca_crt: &[u8], at: Timestamp, name: &str) -> Result<(), String> {
    let chain = ders(tls_crt);
    let anchor_der = CertificateDer::from(ders(ca_crt).remove(0));
    let anchor = webpki::anchor_from_trusted_cert(&anchor_der).map_err(|e| e.to_string())?;
    let leaf_der = CertificateDer::from(chain[0].clone());
    let leaf = webpki::EndEntityCert::try_from(&leaf_der).map_err(|e| e.to_string())?;
    let intermediates: Vec<CertificateDer<'_>> = chain[1..]
        .iter()
        .map(|d| CertificateDer::from(d.clone()))
        .collect();
    let algs = [
        webpki::ring::ECDSA_P256_SHA256,
        webpki::ring::ECDSA_P256_SHA384,
        webpki::ring::ECDSA_P384_SHA256,
        webpki::ring::ECDSA_P384_SHA384,
        webpki::ring::RSA_PKCS1_2048_8192_SHA256,
        webpki::ring::RSA_PKCS1_2048_8192_SHA384,
        webpki::ring::RSA_PKCS1_2048_8192_SHA512,
        webpki::ring::ED25519,
    ];
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(at.as_second()).unwrap(),
    ));
    leaf.verify_for_usage(
        &algs,
        &[anchor],
        &intermediates,
        time,
        webpki::KeyUsage::server_auth(),
        None,
        None,
    )
    .map_err(|e| format!("{e:?}"))?;
    let server_name = ServerName::try_from(name.to_string()).map_err(|e| e.to_string())?;
    leaf.verify_is_valid_for_subject_name(&server_name)
        .map_err(|e| format!("{e:?}"))
}

#[test]
fn webpki_accepts_leaves_from_every_ca_key_type() {
    let now = ts("2026-11-30T00:00:00Z");
    for alg in [
        KeyAlgorithm::Ecdsa {
            curve: EcCurve::P256,
        },
        KeyAlgorithm::Ecdsa {
            curve: EcCurve::P384,
        },
        KeyAlgorithm::Rsa { bits: 2048 },
        KeyAlgorithm::Rsa { bits: 3072 },
        KeyAlgorithm::Ed25519,
    ] {
        let r = root("root.example.test", alg, now, h(87600));
        let ca = material(&r);
        let (_, csr) = leaf_csr(&["svc.example.test"], &["10.0.0.1"]);
        let issued = sign_csr(&csr, &ca, &leaf_params(now, h(24))).unwrap();
        webpki_verify(
            &issued.certificate_pem,
            &issued.ca_pem,
            now,
            "svc.example.test",
        )
        .unwrap_or_else(|e| panic!("{alg:?}: {e}"));
        webpki_verify(&issued.certificate_pem, &issued.ca_pem, now, "10.0.0.1")
            .unwrap_or_else(|e| panic!("{alg:?}: {e}"));
        let info = &parse_certificates(&issued.certificate_pem).unwrap()[0];
        let want = match alg {
            KeyAlgorithm::Rsa { bits: 2048 } => "sha256WithRSAEncryption",
            KeyAlgorithm::Rsa { .. } => "sha384WithRSAEncryption",
            KeyAlgorithm::Ecdsa {
                curve: EcCurve::P384,
            } => "ecdsa-with-SHA384",
            KeyAlgorithm::Ed25519 => "ED25519",
            _ => "ecdsa-with-SHA256",
        };
        assert_eq!(info.signature_algorithm, want, "{alg:?}");
    }
}

#[test]
fn p521_ca_signs_with_sha512() {
    let now = ts("2026-11-30T00:00:00Z");
    let r = root(
        "root",
        KeyAlgorithm::Ecdsa {
            curve: EcCurve::P521,
        },
        now,
        h(100),
    );
    let (_, csr) = leaf_csr(&["a.example.test"], &[]);
    let issued = sign_csr(&csr, &material(&r), &leaf_params(now, h(1))).unwrap();
    let info = &parse_certificates(&issued.certificate_pem).unwrap()[0];
    assert_eq!(info.signature_algorithm, "ecdsa-with-SHA512");
}

#[test]
fn bc03_lifetime_is_clipped_to_the_ca() {
    let t = ts("2026-06-01T00:00:00Z");
    // CA valid until T + 168h.
    let r = root(
        "short-lived CA",
        KeyAlgorithm::Ecdsa {
            curve: EcCurve::P256,
        },
        t - h(24),
        h(192),
    );
    let ca = material(&r);
    assert_eq!(ca.not_after(), t + h(168));
    for (duration, rb) in [(h(336), Some(h(168))), (h(107_600), None)] {
        let (_, csr) = leaf_csr(&["a.example.test"], &[]);
        let p = leaf_params(t, duration);
        let issued = sign_csr(&csr, &ca, &p).unwrap();
        assert!(issued.clipped);
        assert_eq!(issued.not_after, ca.not_after());
        let info = &parse_certificates(&issued.certificate_pem).unwrap()[0];
        assert_eq!(info.not_after, ca.not_after());
        let third = issued.not_after.duration_since(issued.not_before) / 3;
        let renew =
            renewal_time_with_backdate(issued.not_before, issued.not_after, p.backdate, rb, None);
        assert_eq!(renew, issued.not_after - third);
        assert!(renew > t, "never due at issuance");
    }
    // Not clipped when it fits.
    let (_, csr) = leaf_csr(&["a.example.test"], &[]);
    let issued = sign_csr(&csr, &ca, &leaf_params(t, h(24))).unwrap();
    assert!(!issued.clipped);
    assert_eq!(issued.not_after, t + h(24));
}

#[test]
fn bc05_expired_and_future_cas_are_refused() {
    let now = ts("2026-06-01T00:00:00Z");
    let r = root(
        "expired CA",
        KeyAlgorithm::Ecdsa {
            curve: EcCurve::P256,
        },
        now - h(25),
        h(24),
    );
    let ca = material(&r);
    let err = ca.check_valid_at(now).unwrap_err().to_string();
    assert!(err.contains("expired"), "{err}");
    assert!(err.contains("2026-05-31T23:00:00Z"), "{err}");
    let (_, csr) = leaf_csr(&["x.example.test"], &[]);
    assert!(matches!(
        sign_csr(&csr, &ca, &leaf_params(now, h(24))),
        Err(PkiError::CaExpired { .. })
    ));
    let err = ca.check_valid_at(now - h(30)).unwrap_err().to_string();
    assert!(
        err.contains("not yet valid") && err.contains("2026-05-30T23:00:00Z"),
        "{err}"
    );
}

#[test]
fn bc06_backdating() {
    let s = ts("2026-06-01T12:00:00Z");
    let r = root(
        "root",
        KeyAlgorithm::Ecdsa {
            curve: EcCurve::P256,
        },
        s - h(1),
        h(1000),
    );
    let ca = material(&r);
    let (_, csr) = leaf_csr(&["c.example.test"], &[]);
    let p = leaf_params(s, h(1));
    let issued = sign_csr(&csr, &ca, &p).unwrap();
    assert_eq!(issued.not_after, s + h(1));
    assert_eq!(issued.not_before, s - SignedDuration::from_secs(30));
    // A verifier 30 s behind accepts it; 31 s behind does not.
    webpki_verify(
        &issued.certificate_pem,
        &issued.ca_pem,
        s - SignedDuration::from_secs(30),
        "c.example.test",
    )
    .unwrap();
    assert!(
        webpki_verify(
            &issued.certificate_pem,
            &issued.ca_pem,
            s - SignedDuration::from_secs(31),
            "c.example.test"
        )
        .is_err()
    );
    let c = renewal_time_with_backdate(
        issued.not_before,
        issued.not_after,
        p.backdate,
        Some(SignedDuration::from_mins(55)),
        None,
    );
    assert_eq!(c, s + SignedDuration::from_mins(5));
    let d = renewal_time_with_backdate(
        issued.not_before,
        issued.not_after,
        p.backdate,
        Some(SignedDuration::from_secs(3599)),
        None,
    );
    assert_eq!(d, s + SignedDuration::from_secs(1));
}

#[test]
fn bc07_chain_layout() {
    let now = ts("2026-06-01T00:00:00Z");
    let r = root_with_path_len(
        "R",
        KeyAlgorithm::Ecdsa {
            curve: EcCurve::P256,
        },
        now,
        h(87600),
        None,
    );
    let rm = material(&r);
    let i1 = intermediate(&rm, "I1", now, Some(1));
    let i1m = CaMaterial::load(
        &[i1.pem.clone(), r.pem.clone()].concat(),
        &i1.key.to_pem(KeyEncoding::Pkcs1).unwrap(),
        None,
    )
    .unwrap();
    let i2 = intermediate(&i1m, "I2", now, Some(0));
    let key2 = i2.key.to_pem(KeyEncoding::Pkcs1).unwrap();
    let (r_pem, i1_pem, i2_pem) = (r.pem.clone(), i1.pem.clone(), i2.pem.clone());

    let variants: Vec<Vec<u8>> = vec![
        [i2_pem.clone(), i1_pem.clone(), r_pem.clone()].concat(),
        [r_pem.clone(), i2_pem.clone(), i1_pem.clone()].concat(),
        [
            i2_pem.clone(),
            i1_pem.clone(),
            i1_pem.clone(),
            r_pem.clone(),
        ]
        .concat(),
    ];
    let (_, csr) = leaf_csr(&["svc.example.test"], &[]);
    let mut outputs = Vec::new();
    for v in &variants {
        let ca = CaMaterial::load(v, &key2, None).unwrap();
        assert!(ca.has_root());
        let issued = sign_csr(&csr, &ca, &leaf_params(now, h(24))).unwrap();
        let blocks = ders(&issued.certificate_pem);
        assert_eq!(blocks.len(), 3);
        assert_eq!(blocks[1], ders(&i2_pem)[0]);
        assert_eq!(blocks[2], ders(&i1_pem)[0]);
        assert_eq!(ders(&issued.ca_pem), ders(&r_pem));
        let leaf = &parse_certificates(&issued.certificate_pem).unwrap()[0];
        let i2_info = &parse_certificates(&i2_pem).unwrap()[0];
        assert_eq!(leaf.authority_key_id, i2_info.subject_key_id);
        webpki_verify(
            &issued.certificate_pem,
            &issued.ca_pem,
            now,
            "svc.example.test",
        )
        .unwrap();
        outputs.push((
            issued.certificate_pem[issued.certificate_pem.len() - i2_pem.len() - i1_pem.len()..]
                .to_vec(),
            issued.ca_pem,
        ));
    }
    assert!(
        outputs.windows(2).all(|w| w[0] == w[1]),
        "byte-identical chain parts"
    );

    // Without the root: ca.crt is the top-most intermediate, I1.
    let ca = CaMaterial::load(&[i2_pem.clone(), i1_pem.clone()].concat(), &key2, None).unwrap();
    assert!(!ca.has_root());
    let issued = sign_csr(&csr, &ca, &leaf_params(now, h(24))).unwrap();
    let blocks = ders(&issued.certificate_pem);
    assert_eq!(blocks.len(), 3);
    assert_eq!(ders(&issued.ca_pem), ders(&i1_pem));

    // The root can come from ca.crt.
    let ca = CaMaterial::load(
        &[i2_pem.clone(), i1_pem.clone()].concat(),
        &key2,
        Some(&r_pem),
    )
    .unwrap();
    assert!(ca.has_root());
    let issued = sign_csr(&csr, &ca, &leaf_params(now, h(24))).unwrap();
    assert_eq!(ders(&issued.ca_pem), ders(&r_pem));
}

#[test]
fn broken_chains_and_bad_keys_are_typed_errors() {
    let now = ts("2026-06-01T00:00:00Z");
    let ec = KeyAlgorithm::Ecdsa {
        curve: EcCurve::P256,
    };
    let r = root("R", ec, now, h(1000));
    let other = root("stray.example.test", ec, now, h(1000));
    let key = r.key.to_pem(KeyEncoding::Pkcs1).unwrap();
    let err =
        CaMaterial::load(&[r.pem.clone(), other.pem.clone()].concat(), &key, None).unwrap_err();
    assert!(matches!(err, PkiError::BrokenChain { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("certificate chain is malformed or broken"),
        "{msg}"
    );
    assert!(msg.contains("CN=stray.example.test"), "{msg}");

    let err =
        CaMaterial::load(&r.pem, &other.key.to_pem(KeyEncoding::Pkcs8).unwrap(), None).unwrap_err();
    assert!(matches!(err, PkiError::KeyMismatch { .. }), "{err}");

    // A leaf is not a CA.
    let rm = material(&r);
    let (lkey, csr) = leaf_csr(&["leaf.example.test"], &[]);
    let leaf = sign_csr(&csr, &rm, &leaf_params(now, h(24))).unwrap();
    let err = CaMaterial::load(
        &leaf.certificate_der_pem(),
        &lkey.to_pem(KeyEncoding::Pkcs1).unwrap(),
        None,
    )
    .unwrap_err();
    assert!(matches!(err, PkiError::NotCa { .. }), "{err}");

    // A CA without keyCertSign.
    let key = p256();
    let no_cert_sign = self_sign_csr(
        &csr_for(&key, "nocertsign", false),
        &key,
        &SignParams {
            usages: vec![KeyUsage::CrlSign],
            ..SignParams::new(now, h(10))
        },
    )
    .unwrap();
    let err = CaMaterial::load(
        &no_cert_sign.certificate_pem,
        &key.to_pem(KeyEncoding::Pkcs1).unwrap(),
        None,
    )
    .unwrap_err();
    assert!(matches!(err, PkiError::NotCa { .. }), "{err}");
}

#[test]
fn bc11_key_encodings_read_by_rustls() {
    let key = p256();
    let pkcs8 = key.to_pem(KeyEncoding::Pkcs8).unwrap();
    assert!(pkcs8.starts_with(b"-----BEGIN PRIVATE KEY-----\n"));
    match PrivateKeyDer::from_pem_slice(&pkcs8).unwrap() {
        PrivateKeyDer::Pkcs8(_) => {}
        other => panic!("expected PKCS#8, got {other:?}"),
    }
    let sec1 = key.to_pem(KeyEncoding::Pkcs1).unwrap();
    assert!(sec1.starts_with(b"-----BEGIN EC PRIVATE KEY-----\n"));
    assert!(matches!(
        PrivateKeyDer::from_pem_slice(&sec1).unwrap(),
        PrivateKeyDer::Sec1(_)
    ));
    let rsa = PrivateKey::generate(KeyAlgorithm::Rsa { bits: 2048 }).unwrap();
    let pkcs1 = rsa.to_pem(KeyEncoding::Pkcs1).unwrap();
    assert!(pkcs1.starts_with(b"-----BEGIN RSA PRIVATE KEY-----\n"));
    assert!(matches!(
        PrivateKeyDer::from_pem_slice(&pkcs1).unwrap(),
        PrivateKeyDer::Pkcs1(_)
    ));
    // Switching encoding keeps the same key (same SPKI).
    let back = PrivateKey::from_pem(&sec1).unwrap();
    assert_eq!(
        PrivateKey::from_pem(&back.to_pem(KeyEncoding::Pkcs8).unwrap())
            .unwrap()
            .public_key_der()
            .unwrap(),
        key.public_key_der().unwrap()
    );
    // Exactly one block and one final newline.
    assert_eq!(parse_pem(&pkcs8, "k").unwrap().len(), 1);
    assert!(pkcs8.ends_with(b"-----END PRIVATE KEY-----\n"));
}

#[test]
fn bc14_identity_issuer_shape() {
    let now = ts("2026-06-01T00:00:00Z");
    let anchor = root(
        "root.linkerd.cluster.local",
        KeyAlgorithm::Ecdsa {
            curve: EcCurve::P256,
        },
        now,
        h(87600),
    );
    let ca = material(&anchor);
    let key = p256();
    // `cert sign` left out on purpose: isCA keeps keyCertSign.
    let usages = vec![
        KeyUsage::CrlSign,
        KeyUsage::ServerAuth,
        KeyUsage::ClientAuth,
    ];
    let csr = parse_csr(
        &build_csr(
            &key,
            &CsrParams {
                common_name: Some("identity.linkerd.cluster.local".into()),
                is_ca: true,
                usages: usages.clone(),
                ..CsrParams::default()
            },
        )
        .unwrap(),
    )
    .unwrap();
    let p = SignParams {
        is_ca: true,
        usages,
        backdate: SignedDuration::from_secs(30),
        ..SignParams::new(now, h(48))
    };
    let issued = sign_csr(&csr, &ca, &p).unwrap();
    let info = &parse_certificates(&issued.certificate_pem).unwrap()[0];
    assert!(info.is_ca);
    assert_eq!(
        info.usages,
        vec![
            KeyUsage::CertSign,
            KeyUsage::CrlSign,
            KeyUsage::ServerAuth,
            KeyUsage::ClientAuth
        ]
    );
    assert_eq!(
        info.key_algorithm,
        KeyAlgorithm::Ecdsa {
            curve: EcCurve::P256
        }
    );
    assert_eq!(info.signature_algorithm, "ecdsa-with-SHA256");
    let anchor_info = &parse_certificates(&anchor.pem).unwrap()[0];
    assert_eq!(info.authority_key_id, anchor_info.subject_key_id);
    assert_eq!(ders(&issued.ca_pem), ders(&anchor.pem));
    assert_eq!(
        renewal_time_with_backdate(
            info.not_before,
            info.not_after,
            p.backdate,
            Some(h(25)),
            None
        ),
        info.not_after - h(25)
    );
    // Criticality, checked with OpenSSL's own parser.
    let x = openssl::x509::X509::from_der(&info.der).unwrap();
    let text = String::from_utf8(x.to_text().unwrap()).unwrap();
    assert!(
        text.contains("X509v3 Basic Constraints: critical"),
        "{text}"
    );
    assert!(text.contains("X509v3 Key Usage: critical"), "{text}");
    assert!(text.contains("Certificate Sign, CRL Sign\n"), "{text}");
    assert!(text.contains("TLS Web Server Authentication, TLS Web Client Authentication"));
}

#[test]
fn bc17_san_encoding() {
    let now = ts("2026-06-01T00:00:00Z");
    let r = root(
        "root",
        KeyAlgorithm::Ecdsa {
            curve: EcCurve::P256,
        },
        now,
        h(1000),
    );
    let (_, csr) = leaf_csr(
        &["*.svc.example.test", "svc.example.test"],
        &["10.0.0.1", "::1"],
    );
    let issued = sign_csr(&csr, &material(&r), &leaf_params(now, h(24))).unwrap();
    let x = openssl::x509::X509::from_der(&issued.certificate_der).unwrap();
    let names = x.subject_alt_names().unwrap();
    let mut dns = Vec::new();
    let mut ips = Vec::new();
    for n in &names {
        if let Some(d) = n.dnsname() {
            dns.push(d.to_string());
        } else if let Some(ip) = n.ipaddress() {
            ips.push(ip.to_vec());
        } else {
            panic!("unexpected SAN type");
        }
    }
    assert_eq!(dns, vec!["*.svc.example.test", "svc.example.test"]);
    assert_eq!(
        ips,
        vec![vec![10, 0, 0, 1], {
            let mut v = vec![0u8; 16];
            v[15] = 1;
            v
        }]
    );
    // No CN at all: the subject is empty, so the SAN extension is critical.
    assert!(x.subject_name().entries().next().is_none());
    let text = String::from_utf8(x.to_text().unwrap()).unwrap();
    assert!(
        text.contains("X509v3 Subject Alternative Name: critical"),
        "{text}"
    );
    webpki_verify(
        &issued.certificate_pem,
        &issued.ca_pem,
        now,
        "a.svc.example.test",
    )
    .unwrap();
}

fn find(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn bc19_far_future_dates_use_generalized_time() {
    let now = ts("2026-11-30T00:00:00Z");
    let key = p256();
    let csr = csr_for(&key, "root", true);
    let c = self_sign_csr(&csr, &key, &ca_params(now, h(87600), Some(1))).unwrap();
    assert_eq!(c.not_after, ts("2036-11-27T00:00:00Z"));
    assert!(find(&c.certificate_der, b"\x17\x0d361127000000Z"));
    let c = self_sign_csr(&csr, &key, &ca_params(now, h(262_800), Some(1))).unwrap();
    assert_eq!(c.not_after, ts("2056-11-22T00:00:00Z"));
    assert!(find(&c.certificate_der, b"\x18\x0f20561122000000Z"));
    assert_eq!(
        parse_certificates(&c.certificate_pem).unwrap()[0].not_after,
        ts("2056-11-22T00:00:00Z")
    );
}

#[test]
fn bc20_profiles_path_length_and_duplicate_subjects() {
    let now = ts("2026-06-01T00:00:00Z");
    let r = root(
        "root.linkerd.cluster.local",
        KeyAlgorithm::Ecdsa {
            curve: EcCurve::P256,
        },
        now,
        h(87600),
    );
    let rinfo = &parse_certificates(&r.pem).unwrap()[0];
    assert_eq!((rinfo.is_ca, rinfo.path_len), (true, Some(1)));
    assert_eq!(rinfo.usages, vec![KeyUsage::CertSign, KeyUsage::CrlSign]);
    assert!(rinfo.subject_key_id.is_some());
    assert_eq!(rinfo.authority_key_id, None);
    let rm = material(&r);
    let issuer = intermediate(&rm, "identity.linkerd.cluster.local", now, Some(0));
    let iinfo = &parse_certificates(&issuer.pem).unwrap()[0];
    assert_eq!((iinfo.is_ca, iinfo.path_len), (true, Some(0)));
    assert_eq!(iinfo.authority_key_id, rinfo.subject_key_id);

    // Step 3: a CA under a pathlen:0 CA.
    let im = CaMaterial::load(
        &issuer.pem,
        &issuer.key.to_pem(KeyEncoding::Pkcs1).unwrap(),
        Some(&r.pem),
    )
    .unwrap();
    let k = p256();
    let err = sign_csr(
        &csr_for(&k, "sub-ca", true),
        &im,
        &ca_params(now, h(10), Some(0)),
    )
    .unwrap_err();
    assert!(
        matches!(err, PkiError::PathLength { path_len: 0, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("path length"));
    // ... while a leaf under it is fine.
    let (_, csr) = leaf_csr(&["leaf.example.test"], &[]);
    sign_csr(&csr, &im, &leaf_params(now, h(1))).unwrap();

    // Step 4: an intermediate whose subject equals the root's.
    let err = sign_csr(
        &csr_for(&k, "root.linkerd.cluster.local", true),
        &rm,
        &ca_params(now, h(10), Some(0)),
    )
    .unwrap_err();
    assert!(matches!(err, PkiError::DuplicateSubject { .. }), "{err}");
}

#[test]
fn optional_urls_and_serials() {
    let now = ts("2026-06-01T00:00:00Z");
    let r = root(
        "root",
        KeyAlgorithm::Ecdsa {
            curve: EcCurve::P256,
        },
        now,
        h(1000),
    );
    let (_, csr) = leaf_csr(&["a.example.test"], &[]);
    let p = SignParams {
        crl_distribution_points: vec!["http://crl.example.test/ca.crl".into()],
        ocsp_servers: vec!["http://ocsp.example.test".into()],
        issuing_certificate_urls: vec!["http://ca.example.test/ca.crt".into()],
        ..leaf_params(now, h(1))
    };
    let ca = material(&r);
    let issued = sign_csr(&csr, &ca, &p).unwrap();
    let x = openssl::x509::X509::from_der(&issued.certificate_der).unwrap();
    let text = String::from_utf8(x.to_text().unwrap()).unwrap();
    assert!(
        text.contains("URI:http://crl.example.test/ca.crl"),
        "{text}"
    );
    assert!(
        text.contains("OCSP - URI:http://ocsp.example.test"),
        "{text}"
    );
    assert!(
        text.contains("CA Issuers - URI:http://ca.example.test/ca.crt"),
        "{text}"
    );
    assert!(text.contains("Version: 3 (0x2)"));
    let mut serials = std::collections::HashSet::new();
    for _ in 0..20 {
        let issued = sign_csr(&csr, &ca, &leaf_params(now, h(1))).unwrap();
        let x = openssl::x509::X509::from_der(&issued.certificate_der).unwrap();
        let bn = x.serial_number().to_bn().unwrap();
        assert!(!bn.is_negative() && bn.num_bits() > 0 && bn.num_bits() <= 159);
        serials.insert(bn.to_vec());
    }
    assert_eq!(serials.len(), 20);
}

#[test]
fn self_signed_needs_the_csr_key() {
    let now = ts("2026-06-01T00:00:00Z");
    let k1 = p256();
    let k2 = p256();
    let err =
        self_sign_csr(&csr_for(&k1, "x", false), &k2, &SignParams::new(now, h(1))).unwrap_err();
    assert!(matches!(err, PkiError::KeyMismatch { .. }));
    let ok = self_sign_csr(&csr_for(&k1, "x", false), &k1, &SignParams::new(now, h(1))).unwrap();
    assert_eq!(ok.certificate_pem, ok.ca_pem);
    assert!(matches!(
        self_sign_csr(
            &csr_for(&k1, "x", false),
            &k1,
            &SignParams::new(now, SignedDuration::ZERO)
        ),
        Err(PkiError::InvalidValidity { .. })
    ));
}

#[test]
fn bundles_are_normalised() {
    let now = ts("2026-06-01T00:00:00Z");
    let ec = KeyAlgorithm::Ecdsa {
        curve: EcCurve::P256,
    };
    let a = root("a", ec, now, h(10));
    let b = root("b", ec, now, h(10));
    let messy = format!(
        "\r\n{}\r\n\r\n{}\n\n{}\n\n\n",
        String::from_utf8(a.pem.clone())
            .unwrap()
            .replace('\n', "\r\n"),
        String::from_utf8(b.pem.clone()).unwrap(),
        String::from_utf8(a.pem.clone()).unwrap()
    );
    let out = normalize_pem_bundle(messy.as_bytes()).unwrap();
    assert_eq!(out, [a.pem.clone(), b.pem.clone()].concat());
    assert!(!out.ends_with(b"\n\n") && !out.windows(2).any(|w| w == b"\r\n"));
    assert_eq!(parse_certificates(messy.as_bytes()).unwrap().len(), 2);
    assert!(matches!(
        parse_certificates(b"\n\n"),
        Err(PkiError::NoCertificate { .. })
    ));
}
