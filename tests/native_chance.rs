//! Chance and cryptography in the native engine, end to end: a chart that makes up a password
//! and a certificate renders without helm; under `helm.deterministic` the made-up values are
//! the same on every run (an empty cache, nothing written before) and change with the values;
//! and the setting refuses what would break its promise (the helm binary, what the engine
//! lacks). Certificates and the clock under the setting: tests/native_clock.rs.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use common::{hldc_with_env, read_tree, write_files, Exited};

/// A chart whose Secret holds a made-up password, key and id; `helm` is the component's
/// `helm:` block (its lines), `extra` adds templates.
fn hld(root: &Path, helm: &str, greeting: &str, extra: &[(&str, &str)]) {
    let helm = if helm.is_empty() { String::new() } else { format!("    helm:\n{helm}") };
    let config = format!("subcomponents:\n  app:\n{helm}    config:\n      greeting: {greeting}\n");
    let mut files = vec![
        ("component.yaml", "name: site\nsubcomponents:\n  - name: app\n    type: helm\n    path: chart\n"),
        ("chart/Chart.yaml", "apiVersion: v2\nname: app\nversion: 0.1.0\n"),
        ("chart/values.yaml", "greeting: hello\n"),
        (
            "chart/templates/secret.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  password: {{ randAlphaNum 24 | b64enc | quote }}\n  key: {{ genPrivateKey \"ecdsa\" | b64enc | quote }}\n  id: {{ uuidv4 | b64enc | quote }}\n",
        ),
        ("config/common.yaml", &config),
    ];
    files.extend_from_slice(extra);
    write_files(root, &files);
}

/// A template that generates a CA and a certificate it signs.
const CERTIFICATES: (&str, &str) = (
    "chart/templates/tls.yaml",
    "{{- $ca := genCA \"app-ca\" 365 }}\n{{- $cert := genSignedCert \"app\" (list \"10.0.0.1\") (list \"app.example.com\") 30 $ca }}\napiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-tls\ntype: kubernetes.io/tls\ndata:\n  ca.crt: {{ $ca.Cert | b64enc }}\n  tls.crt: {{ $cert.Cert | b64enc }}\n  tls.key: {{ $cert.Key | b64enc }}\n",
);

/// Runs hldc with its own (fresh) cache directory and no helm: the native engine needs none.
fn run(root: &Path, cache: &Path, args: &[&str]) -> Exited {
    hldc_with_env(root, args, &[("XDG_CACHE_HOME", cache.to_str().unwrap()), ("HLDC_HELM", "/nonexistent/helm")])
}

/// A fresh generate: nothing written before, an empty cache.
fn generate_afresh(root: &Path) -> BTreeMap<String, Vec<u8>> {
    for dir in ["generated", ".hldc"] {
        let _ = std::fs::remove_dir_all(root.join(dir));
    }
    let cache = tempfile::tempdir().unwrap();
    run(root, cache.path(), &["generate"]).assert_code(0);
    read_tree(&root.join("generated"))
}

/// The decoded value of `key` in the rendered Secret file.
fn secret_field(files: &BTreeMap<String, Vec<u8>>, key: &str) -> String {
    let text = String::from_utf8(files["common/app.yaml"].clone()).unwrap();
    let line = text
        .lines()
        .find(|line| line.trim_start().starts_with(&format!("{key}:")))
        .unwrap_or_else(|| panic!("no {key} in {text}"));
    let encoded = line.split_once(':').unwrap().1.trim().trim_matches('"');
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded).unwrap()).unwrap()
}

#[test]
fn native_renders_passwords_and_certificates_without_helm() {
    let dir = tempfile::tempdir().unwrap();
    hld(dir.path(), "", "hi", &[CERTIFICATES]);
    let cache = tempfile::tempdir().unwrap();
    run(dir.path(), cache.path(), &["generate", "--helm-engine", "native"]).assert_code(0);
    let files = read_tree(&dir.path().join("generated"));
    let password = secret_field(&files, "password");
    assert!(password.len() == 24 && password.chars().all(|c| c.is_ascii_alphanumeric()), "{password}");
    assert!(secret_field(&files, "key").starts_with("-----BEGIN EC PRIVATE KEY-----\n"));
    let ca = openssl::x509::X509::from_pem(secret_field(&files, "ca.crt").as_bytes()).unwrap();
    let cert = openssl::x509::X509::from_pem(secret_field(&files, "tls.crt").as_bytes()).unwrap();
    assert!(cert.verify(&ca.public_key().unwrap()).unwrap(), "the CA signs the certificate");
    let names: Vec<String> =
        cert.subject_alt_names().unwrap().iter().filter_map(|n| n.dnsname().map(str::to_string)).collect();
    assert_eq!(names, ["app.example.com"]);
    let key = openssl::pkey::PKey::private_key_from_pem(secret_field(&files, "tls.key").as_bytes()).unwrap();
    assert!(cert.public_key().unwrap().public_eq(&key));
}

#[test]
fn deterministic_chance_is_the_same_on_every_run_and_follows_the_values() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let deterministic = "      engine: native\n      deterministic: true\n";
    hld(root, deterministic, "hi", &[]);
    let first = generate_afresh(root);
    assert_eq!(generate_afresh(root), first, "same inputs, same bytes, with nothing kept from before");

    // Without the setting, a fresh run makes up another password (the test above is not trivial).
    hld(root, "      engine: native\n", "hi", &[]);
    assert_ne!(secret_field(&generate_afresh(root), "password"), secret_field(&first, "password"));

    // Another template draws from its own stream: this one's password stays.
    let other = (
        "chart/templates/other.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\ndata:\n  token: {{ randAlphaNum 8 | quote }}\n",
    );
    hld(root, deterministic, "hi", &[other]);
    assert_eq!(secret_field(&generate_afresh(root), "password"), secret_field(&first, "password"));

    // Changed values: another seed.
    hld(root, deterministic, "bye", &[]);
    let changed = generate_afresh(root);
    for key in ["password", "key", "id"] {
        assert_ne!(secret_field(&changed, key), secret_field(&first, key), "{key}");
    }
}

#[test]
fn deterministic_refuses_the_helm_binary_at_its_config_line_and_what_the_engine_lacks_before_rendering() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    hld(dir.path(), "      engine: binary\n      deterministic: true\n", "hi", &[]);
    // `validate` finds problems (exit 1); `generate` stops on them (exit 2).
    for (args, code) in [(&["validate"][..], 1), (&["generate"], 2)] {
        let refused = run(dir.path(), cache.path(), args).assert_code(code);
        refused.assert_stderr_contains("error[hldc::config::deterministic-binary]: component `site/app` asks for `helm.deterministic`, but the helm binary renders it");
        refused.assert_stderr_contains("config/common.yaml:5:7");
    }
    // `--helm-engine binary` overrides the config's engine: refused as well.
    hld(dir.path(), "      engine: native\n      deterministic: true\n", "hi", &[]);
    run(dir.path(), cache.path(), &["generate", "--helm-engine", "binary"])
        .assert_code(2)
        .assert_stderr_contains("hldc::config::deterministic-binary");

    // `auto` never falls back under the setting: what the engine lacks (a method of `now`) is refused.
    let lacking = (
        "chart/templates/day.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: day\ndata:\n  day: {{ (now).Weekday | quote }}\n",
    );
    hld(dir.path(), "      engine: auto\n      deterministic: true\n", "hi", &[lacking]);
    let refused = run(dir.path(), cache.path(), &["generate"]).assert_code(2);
    refused.assert_stderr_contains("error[hldc::render::engine-unsupported]: component `app` (chart `chart`) uses what hldc's native engine cannot render deterministically: method `Weekday`");
    assert!(!dir.path().join("generated").exists(), "nothing may be written");
    let tree = run(dir.path(), cache.path(), &["tree"]).assert_code(0);
    assert!(
        tree.stdout.contains("engine=native (helm.engine: auto under helm.deterministic, never the binary; the chart uses method `Weekday`"),
        "{}",
        tree.stdout
    );
}
