//! The clock under `helm.deterministic`, end to end: `now` reads the pipeline's
//! `SOURCE_DATE_EPOCH` (1970-01-01 without it), in UTC; certificates start their validity
//! there, and without the variable they are an error naming it; the render cache keys on it.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use common::{hldc_with_env, read_tree, write_files, Exited};

/// 2023-11-14T22:13:20Z.
const EPOCH: &str = "1700000000";

const STAMP: (&str, &str) = (
    "chart/templates/stamp.yaml",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stamp\ndata:\n  at: {{ now | date \"2006-01-02T15:04:05Z07:00 MST\" | quote }}\n  now: {{ now | toString | quote }}\n",
);

const CERTIFICATES: (&str, &str) = (
    "chart/templates/tls.yaml",
    "{{- $ca := genCA \"app-ca\" 365 }}\n{{- $cert := genSignedCert \"app\" (list \"10.0.0.1\") (list \"app.example.com\") 30 $ca }}\napiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-tls\ntype: kubernetes.io/tls\ndata:\n  ca.crt: {{ $ca.Cert | b64enc }}\n  tls.crt: {{ $cert.Cert | b64enc }}\n  tls.key: {{ $cert.Key | b64enc }}\n",
);

/// A deterministic native component of a chart with `templates`.
fn hld(root: &Path, templates: &[(&str, &str)]) {
    let mut files = vec![
        ("component.yaml", "name: site\nsubcomponents:\n  - name: app\n    type: helm\n    path: chart\n"),
        ("chart/Chart.yaml", "apiVersion: v2\nname: app\nversion: 0.1.0\n"),
        ("config/common.yaml", "subcomponents:\n  app:\n    helm:\n      engine: native\n      deterministic: true\n"),
    ];
    files.extend_from_slice(templates);
    write_files(root, &files);
}

/// `hldc generate` with `cache` as its cache, no helm, and `SOURCE_DATE_EPOCH` when given.
fn generate(root: &Path, cache: &Path, epoch: Option<&str>) -> Exited {
    let mut env = vec![("XDG_CACHE_HOME", cache.to_str().unwrap()), ("HLDC_HELM", "/nonexistent/helm")];
    env.extend(epoch.map(|epoch| ("SOURCE_DATE_EPOCH", epoch)));
    hldc_with_env(root, &["generate"], &env)
}

/// A fresh generate: nothing written before, an empty cache.
fn generate_afresh(root: &Path, epoch: Option<&str>) -> BTreeMap<String, Vec<u8>> {
    for dir in ["generated", ".hldc"] {
        let _ = std::fs::remove_dir_all(root.join(dir));
    }
    let cache = tempfile::tempdir().unwrap();
    generate(root, cache.path(), epoch).assert_code(0);
    read_tree(&root.join("generated"))
}

/// The text of `key` in the rendered output (base64-decoded with `decode`).
fn field(files: &BTreeMap<String, Vec<u8>>, key: &str, decode: bool) -> String {
    let text = String::from_utf8(files["common/app.yaml"].clone()).unwrap();
    let line = text
        .lines()
        .find(|line| line.trim_start().starts_with(&format!("{key}:")))
        .unwrap_or_else(|| panic!("no {key} in {text}"));
    let value = line.split_once(':').unwrap().1.trim().trim_matches('"').to_string();
    if !decode {
        return value;
    }
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(value).unwrap()).unwrap()
}

#[test]
fn deterministic_clock_and_certificates_read_source_date_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    hld(root, &[STAMP, CERTIFICATES]);
    let first = generate_afresh(root, Some(EPOCH));
    assert_eq!(generate_afresh(root, Some(EPOCH)), first, "same inputs, same bytes, on every run");
    assert_eq!(field(&first, "at", false), "2023-11-14T22:13:20Z UTC");
    assert_eq!(field(&first, "now", false), "2023-11-14 22:13:20 +0000 UTC");
    let ca = openssl::x509::X509::from_pem(field(&first, "ca.crt", true).as_bytes()).unwrap();
    let cert = openssl::x509::X509::from_pem(field(&first, "tls.crt", true).as_bytes()).unwrap();
    // The validity starts at SOURCE_DATE_EPOCH, as openssl reads it.
    assert_eq!(ca.not_before().to_string(), "Nov 14 22:13:20 2023 GMT");
    assert_eq!(cert.not_before().to_string(), "Nov 14 22:13:20 2023 GMT");
    assert_eq!(cert.not_before().diff(cert.not_after()).unwrap().days, 30);
    assert!(cert.verify(&ca.public_key().unwrap()).unwrap(), "the CA signs the certificate");

    // Another instant, with the cache of the first run kept: rendered afresh, not read back.
    let cache = tempfile::tempdir().unwrap();
    generate(root, cache.path(), Some(EPOCH)).assert_code(0);
    generate(root, cache.path(), Some("1800000000")).assert_code(0);
    let later = read_tree(&root.join("generated"));
    assert_eq!(field(&later, "at", false), "2027-01-15T08:00:00Z UTC");
    assert_ne!(field(&later, "tls.crt", true), field(&first, "tls.crt", true));
}

#[test]
fn without_source_date_epoch_the_clock_is_1970_and_certificates_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    hld(root, &[STAMP]);
    let files = generate_afresh(root, None);
    assert_eq!(field(&files, "at", false), "1970-01-01T00:00:00Z UTC");

    hld(root, &[STAMP, CERTIFICATES]);
    std::fs::remove_dir_all(root.join("generated")).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let refused = generate(root, cache.path(), None).assert_code(2);
    refused.assert_stderr_contains("SOURCE_DATE_EPOCH, which is not set");
    refused.assert_stderr_contains("moved only to rotate the certificates");
    assert!(!root.join("generated").exists(), "nothing may be written");

    let malformed = generate(root, cache.path(), Some("yesterday")).assert_code(2);
    malformed.assert_stderr_contains(
        "error[hldc::cli::source-date-epoch]: SOURCE_DATE_EPOCH is `yesterday`, not a number of seconds",
    );
}
