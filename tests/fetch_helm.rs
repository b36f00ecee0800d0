//! Helm chart repositories served by a real local HTTP server, plus http
//! files and the OCI error path.

mod fetch_support;

use std::fs;
use std::path::{Path, PathBuf};

use fetch_support::{sha256_hex, write_repo, Dep, RepoChart, Server};
use hldc::fetch::{
    fetch_all, AccessTokens, FetchError, FetchErrorKind, FetchOptions, Fetched, Lockfile, Progress, SourceSpec,
};

fn helm(repo: &str, chart: &str, constraint: &str) -> SourceSpec {
    SourceSpec::HelmRepo { repository: repo.into(), chart: chart.into(), constraint: constraint.into() }
}

fn one(spec: &SourceSpec, lock: &mut Lockfile, opts: &FetchOptions) -> Result<Fetched, FetchError> {
    fetch_all(std::slice::from_ref(spec), lock, opts).map(|mut v| v.remove(0)).map_err(|mut e| e.remove(0))
}

fn chart_version(root: &Path) -> String {
    let text = fs::read_to_string(root.join("Chart.yaml")).unwrap();
    text.lines().find_map(|l| l.strip_prefix("version: ")).unwrap().to_string()
}

struct Fx {
    tmp: tempfile::TempDir,
    repo_dir: PathBuf,
    cache: PathBuf,
}

fn fx() -> Fx {
    let tmp = tempfile::tempdir().unwrap();
    let repo_dir = tmp.path().join("repo");
    let cache = tmp.path().join("cache");
    Fx { repo_dir, cache, tmp }
}

fn web_versions() -> Vec<RepoChart> {
    vec![
        RepoChart::new("web", "1.2.0", &[]),
        RepoChart::new("web", "1.2.3", &[]),
        RepoChart::new("web", "1.9.0", &[]),
        RepoChart::new("web", "2.0.0", &[]),
        RepoChart::new("web", "3.0.0-rc.1", &[]),
    ]
}

#[test]
fn exact_range_and_latest_with_digests_in_the_lock() {
    let f = fx();
    let charts = web_versions();
    write_repo(&f.repo_dir, &charts);
    let server = Server::start(&f.repo_dir);
    let repo = server.url();
    let specs = vec![
        helm(&repo, "web", "1.2.3"),
        helm(&repo, "web", "^1.2"),
        helm(&repo, "web", ">=1.0 <2.0"),
        helm(&repo, "web", "1.x"),
        helm(&repo, "web", "~1.2.0"),
        helm(&repo, "web", ""),
    ];
    let mut lock = Lockfile::new();
    let got = fetch_all(&specs, &mut lock, &FetchOptions::new(&f.cache)).unwrap_or_else(|e| panic!("{e:?}"));
    let versions: Vec<String> = got.iter().map(|g| chart_version(&g.root)).collect();
    assert_eq!(versions, ["1.2.3", "1.9.0", "1.9.0", "1.9.0", "1.2.3", "2.0.0"]);
    let sha_123 = charts[1].sha256();
    assert_eq!(lock.pin(&specs[0]), Some(format!("1.2.3 sha256:{sha_123}")));
    assert_eq!(got[0].root, f.cache.join("helm/charts").join(&sha_123));
    assert!(f.cache.join("helm/archives").join(format!("{sha_123}.tgz")).is_file());
    assert!(got[0].root.join("templates/cm.yaml").is_file());
    let text = lock.render();
    assert!(text.contains(&format!(
        "  - repository: {repo}\n    chart: web\n    constraint: \"1.2.3\"\n    version: \"1.2.3\"\n    digest: sha256:{sha_123}\n"
    )), "{text}");
    assert!(text.contains("    constraint: \"\"\n    version: \"2.0.0\"\n"), "{text}");
    // The index was fetched once for all six specs.
    assert_eq!(server.paths().iter().filter(|p| p.as_str() == "/index.yaml").count(), 1);
}

#[test]
fn unsatisfiable_constraint_and_missing_chart_are_not_found() {
    let f = fx();
    write_repo(&f.repo_dir, &web_versions());
    let server = Server::start(&f.repo_dir);
    let opts = FetchOptions::new(&f.cache);
    let errors = fetch_all(
        &[
            helm(&server.url(), "web", "^7"),
            helm(&server.url(), "nope", ""),
            helm(&server.url(), "web", "not a version"),
        ],
        &mut Lockfile::new(),
        &opts,
    )
    .unwrap_err();
    assert_eq!(errors.len(), 3);
    assert_eq!(errors[0].kind, FetchErrorKind::NotFound);
    assert!(errors[0].message.contains("2.0.0"), "{}", errors[0]);
    assert_eq!(errors[1].kind, FetchErrorKind::NotFound);
    assert_eq!(errors[2].kind, FetchErrorKind::Invalid);
}

#[test]
fn tampered_archive_is_a_digest_mismatch() {
    let f = fx();
    let charts = web_versions();
    write_repo(&f.repo_dir, &charts);
    // Change the bytes after the index was written.
    let path = f.repo_dir.join(charts[1].file_name());
    let mut bytes = fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    fs::write(&path, bytes).unwrap();
    let server = Server::start(&f.repo_dir);
    let err =
        one(&helm(&server.url(), "web", "1.2.3"), &mut Lockfile::new(), &FetchOptions::new(&f.cache)).unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::DigestMismatch, "{err}");
    assert!(err.to_string().contains("index"), "{err}");
    // Nothing was stored under the bad digest.
    let archives: Vec<_> = fs::read_dir(f.cache.join("helm/archives"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tgz"))
        .collect();
    assert!(archives.is_empty());
}

#[test]
fn the_lock_digest_is_checked_when_downloading_a_pin() {
    let f = fx();
    let charts = web_versions();
    write_repo(&f.repo_dir, &charts);
    let server = Server::start(&f.repo_dir);
    let spec = helm(&server.url(), "web", "1.2.3");
    let mut lock = Lockfile::new();
    one(&spec, &mut lock, &FetchOptions::new(&f.cache)).unwrap();
    // Someone re-published 1.2.3 with other bytes (and a matching index).
    let republished = vec![RepoChart {
        name: "web".into(),
        version: "1.2.3".into(),
        bytes: fetch_support::tgz(&[(
            "web/Chart.yaml",
            b"apiVersion: v2\nname: web\nversion: 1.2.3\ndescription: changed\n",
        )]),
    }];
    write_repo(&f.repo_dir, &republished);
    let mut lock = Lockfile::parse(&lock.render()).unwrap();
    let err = one(&spec, &mut lock, &FetchOptions::new(f.tmp.path().join("cold"))).unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::DigestMismatch, "{err}");
    assert!(err.message.contains("lock file pins"), "{err}");
}

#[test]
fn pinned_chart_does_not_move_and_works_from_cache_without_the_server() {
    let f = fx();
    let mut charts = web_versions();
    write_repo(&f.repo_dir, &charts);
    let mut server = Server::start(&f.repo_dir);
    let repo = server.url();
    let spec = helm(&repo, "web", "^1");
    let mut lock = Lockfile::new();
    let first = one(&spec, &mut lock, &FetchOptions::new(&f.cache)).unwrap();
    assert_eq!(chart_version(&first.root), "1.9.0");
    let text = lock.render();

    // A newer matching version appears: the pin holds.
    charts.push(RepoChart::new("web", "1.10.0", &[]));
    write_repo(&f.repo_dir, &charts);
    let mut lock = Lockfile::parse(&text).unwrap();
    let requests = server.requests();
    let again = one(&spec, &mut lock, &FetchOptions::new(&f.cache)).unwrap();
    assert_eq!(again.root, first.root);
    assert_eq!(server.requests(), requests, "a pinned, cached chart needs no request");

    // Server gone: still fine from the cache, online or offline.
    server.stop();
    let again = one(&spec, &mut lock, &FetchOptions::new(&f.cache)).unwrap();
    assert_eq!(again.root, first.root);
    let mut offline = FetchOptions::new(&f.cache);
    offline.offline = true;
    let again = one(&spec, &mut lock, &offline).unwrap();
    assert_eq!(again.root, first.root);
    assert!(!lock.is_changed());

    // Not pinned + offline: NotCached; not pinned + server down: a network error.
    let other = helm(&repo, "web", "~1.2");
    assert_eq!(one(&other, &mut lock, &offline).unwrap_err().kind, FetchErrorKind::NotCached);
    assert_eq!(one(&other, &mut lock, &FetchOptions::new(&f.cache)).unwrap_err().kind, FetchErrorKind::Network);

    // After forget (server back), the newer version is picked.
    let server = Server::start(&f.repo_dir);
    let spec = helm(&server.url(), "web", "^1");
    let mut lock = Lockfile::new();
    let newer = one(&spec, &mut lock, &FetchOptions::new(&f.cache)).unwrap();
    assert_eq!(chart_version(&newer.root), "1.10.0");
}

#[test]
fn dependencies_from_http_repos_are_vendored_and_pinned() {
    let f = fx();
    let tmp_url_dir = f.tmp.path().join("url");
    // The dependency's repository URL must be known before the archive is
    // built, so start the server first and write the repo after.
    fs::create_dir_all(&f.repo_dir).unwrap();
    let server = Server::start(&f.repo_dir);
    let repo = server.url();
    let charts = vec![
        RepoChart::new("redis", "6.1.0", &[]),
        RepoChart::new("redis", "6.2.0", &[]),
        RepoChart::new("redis", "7.0.0", &[]),
        RepoChart::new("base", "0.1.0", &[]),
        RepoChart::new("cache", "1.0.0", &[Dep { name: "base", version: "0.1.x", repository: &repo }]),
        RepoChart::new(
            "app",
            "1.0.0",
            &[
                Dep { name: "redis", version: "~6", repository: &format!("{repo}/") },
                Dep { name: "cache", version: "1.0.0", repository: &repo },
                Dep { name: "local", version: "0.1.0", repository: "file://../local" },
            ],
        ),
    ];
    write_repo(&f.repo_dir, &charts);
    let _ = tmp_url_dir;
    let spec = helm(&repo, "app", "");
    let mut lock = Lockfile::new();
    let got = one(&spec, &mut lock, &FetchOptions::new(&f.cache)).unwrap_or_else(|e| panic!("{e}"));
    let vendored = got.root.join("charts");
    // A dependency without its own remote dependencies is placed as its archive.
    let redis = vendored.join("redis-6.2.0.tgz");
    assert!(redis.is_file(), "{:?}", fs::read_dir(&vendored).unwrap().collect::<Vec<_>>());
    assert_eq!(sha256_hex(&fs::read(&redis).unwrap()), charts[1].sha256());
    // One that has its own remote dependencies is placed as a directory with them.
    assert!(vendored.join("cache/Chart.yaml").is_file());
    assert!(vendored.join("cache/charts/base-0.1.0.tgz").is_file());
    assert!(!vendored.join("local-0.1.0.tgz").exists(), "file:// dependencies are left to helm");
    // The unpacked base chart stays untouched under its archive digest.
    assert!(!f.cache.join("helm/charts").join(charts[5].sha256()).join("charts").exists());

    let text = lock.render();
    for (chart, constraint, version) in
        [("app", "", "1.0.0"), ("redis", "~6", "6.2.0"), ("cache", "1.0.0", "1.0.0"), ("base", "0.1.x", "0.1.0")]
    {
        let dep = helm(&repo, chart, constraint);
        assert!(lock.pin(&dep).is_some_and(|p| p.starts_with(&format!("{version} sha256:"))), "{chart}: {text}");
    }
    assert_eq!(lock.len(), 4);

    // Locked with a dependency missing from the lock: LockOutdated.
    let mut partial = Lockfile::parse(&text).unwrap();
    assert!(partial.forget(&helm(&repo, "base", "0.1.x")));
    let mut locked = FetchOptions::new(f.tmp.path().join("cold"));
    locked.locked = true;
    let err = one(&spec, &mut partial, &locked).unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::LockOutdated, "{err}");
    assert!(err.message.contains("dependency base of chart cache"), "{err}");

    // The full lock reproduces the same directory in a cold cache, locked.
    let mut full = Lockfile::parse(&text).unwrap();
    let again = one(&spec, &mut full, &locked).unwrap();
    assert_eq!(again.root.file_name(), got.root.file_name());
    assert!(!full.is_changed());
    assert_eq!(full.prune_unused(), 0);
}

#[test]
fn vendored_dependencies_are_kept() {
    let f = fx();
    fs::create_dir_all(&f.repo_dir).unwrap();
    let server = Server::start(&f.repo_dir);
    let sub = fetch_support::chart_tgz("sub", "2.0.0", &[]);
    let chart_yaml = format!(
        "apiVersion: v2\nname: top\nversion: 1.0.0\ndependencies:\n  - name: sub\n    version: ^2\n    repository: {}/missing\n",
        server.url()
    );
    let bytes = fetch_support::tgz(&[("top/Chart.yaml", chart_yaml.as_bytes()), ("top/charts/sub-2.0.0.tgz", &sub)]);
    write_repo(&f.repo_dir, &[RepoChart { name: "top".into(), version: "1.0.0".into(), bytes: bytes.clone() }]);
    let mut lock = Lockfile::new();
    let got =
        one(&helm(&server.url(), "top", ""), &mut lock, &FetchOptions::new(&f.cache)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got.root, f.cache.join("helm/charts").join(sha256_hex(&bytes)));
    assert_eq!(lock.len(), 1);
}

#[test]
fn archive_with_traversal_entries_is_refused() {
    let f = fx();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("dotdot", fetch_support::evil_tgz("../evil", tar::EntryType::Regular, None)),
        ("nested", fetch_support::evil_tgz("evil/../../evil", tar::EntryType::Regular, None)),
        ("absolute", fetch_support::evil_tgz("/tmp/evil", tar::EntryType::Regular, None)),
        ("symlink", fetch_support::evil_tgz("evil/templates", tar::EntryType::Symlink, Some("../../.."))),
        ("abs-symlink", fetch_support::evil_tgz("evil/templates", tar::EntryType::Symlink, Some("/etc"))),
        ("hardlink", fetch_support::evil_tgz("evil/passwd", tar::EntryType::Link, Some("/etc/passwd"))),
    ];
    let charts: Vec<RepoChart> = cases
        .iter()
        .map(|(name, bytes)| RepoChart { name: (*name).into(), version: "1.0.0".into(), bytes: bytes.clone() })
        .collect();
    write_repo(&f.repo_dir, &charts);
    let server = Server::start(&f.repo_dir);
    let specs: Vec<SourceSpec> = cases.iter().map(|(name, _)| helm(&server.url(), name, "")).collect();
    let errors = fetch_all(&specs, &mut Lockfile::new(), &FetchOptions::new(&f.cache)).unwrap_err();
    assert_eq!(errors.len(), cases.len());
    for e in &errors {
        assert_eq!(e.kind, FetchErrorKind::PathEscape, "{e}");
    }
    assert!(!f.cache.join("helm/evil").exists());
    assert!(!f.tmp.path().join("evil").exists());
    // No unpacked chart was kept.
    let kept = fs::read_dir(f.cache.join("helm/charts"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with(".tmp-"))
        .count();
    assert_eq!(kept, 0);
}

#[test]
fn tokens_are_sent_and_never_shown() {
    let f = fx();
    write_repo(&f.repo_dir, &web_versions());
    let token = "tok-4f9a1c-very-secret";
    let server = Server::start_with_token(&f.repo_dir, Some(token));
    let spec = helm(&server.url(), "web", "1.2.3");

    let err = one(&spec, &mut Lockfile::new(), &FetchOptions::new(&f.cache)).unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::Auth, "{err}");

    let mut opts = FetchOptions::new(&f.cache);
    let mut tokens = AccessTokens::new();
    tokens.insert(server.url(), token);
    opts.tokens = tokens;
    one(&spec, &mut Lockfile::new(), &opts).unwrap();

    // A wrong token: Auth, and the token is nowhere in the message.
    let mut wrong = AccessTokens::new();
    wrong.insert(server.url(), "wrong-token-123");
    opts.tokens = wrong;
    let err = one(&helm(&server.url(), "web", "2.0.0"), &mut Lockfile::new(), &opts).unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::Auth);
    assert!(!err.to_string().contains("wrong-token-123"));
    assert!(!format!("{opts:?}").contains("wrong-token-123"));
}

#[test]
fn http_files_are_pinned_by_sha256() {
    let f = fx();
    fs::create_dir_all(&f.repo_dir).unwrap();
    fs::write(f.repo_dir.join("crd.yaml"), "kind: CustomResourceDefinition\n").unwrap();
    let mut server = Server::start(&f.repo_dir);
    let spec = SourceSpec::Http { url: format!("{}/crd.yaml", server.url()) };
    let mut lock = Lockfile::new();
    let got = one(&spec, &mut lock, &FetchOptions::new(&f.cache)).unwrap();
    let sha = sha256_hex(b"kind: CustomResourceDefinition\n");
    assert_eq!(got.root, f.cache.join("http").join(&sha));
    assert_eq!(fs::read_to_string(&got.root).unwrap(), "kind: CustomResourceDefinition\n");
    assert_eq!(lock.pin(&spec), Some(sha.clone()));
    let sha256 = hldc::yaml::write::scalar(&sha);
    assert!(lock.render().contains(&format!("http:\n  - url: {}/crd.yaml\n    sha256: {sha256}\n", server.url())));

    // The file changes upstream: the pin is checked on a cold cache.
    fs::write(f.repo_dir.join("crd.yaml"), "kind: Changed\n").unwrap();
    let mut pinned = Lockfile::parse(&lock.render()).unwrap();
    let err = one(&spec, &mut pinned, &FetchOptions::new(f.tmp.path().join("cold"))).unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::DigestMismatch);

    // Warm cache, server stopped, offline: fine.
    server.stop();
    let mut offline = FetchOptions::new(&f.cache);
    offline.offline = true;
    assert_eq!(one(&spec, &mut pinned, &offline).unwrap(), got);

    let missing = SourceSpec::Http { url: format!("{}/missing.yaml", "http://127.0.0.1:9") };
    assert_eq!(one(&missing, &mut Lockfile::new(), &offline).unwrap_err().kind, FetchErrorKind::NotCached);
}

#[test]
fn missing_http_file_is_not_found() {
    let f = fx();
    fs::create_dir_all(&f.repo_dir).unwrap();
    let server = Server::start(&f.repo_dir);
    let spec = SourceSpec::Http { url: format!("{}/nope.yaml", server.url()) };
    let err = one(&spec, &mut Lockfile::new(), &FetchOptions::new(&f.cache)).unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::NotFound);
}

#[test]
fn oci_without_helm_is_a_clear_error() {
    let f = fx();
    let spec = SourceSpec::Oci {
        reference: "oci://127.0.0.1:1/charts/web".into(),
        constraint: "1.2.3".into(),
        plain_http: false,
    };
    let err = one(&spec, &mut Lockfile::new(), &FetchOptions::new(&f.cache)).unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::Invalid);
    assert!(err.to_string().contains("no helm binary was configured"), "{err}");

    let mut opts = FetchOptions::new(&f.cache);
    opts.helm = Some(f.tmp.path().join("no-such-helm"));
    let err = one(&spec, &mut Lockfile::new(), &opts).unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::Io);
    assert!(err.to_string().contains("cannot run helm at"), "{err}");

    let range = SourceSpec::Oci {
        reference: "oci://127.0.0.1:1/charts/web".into(),
        constraint: "^1".into(),
        plain_http: false,
    };
    // A range is resolved from the registry's tags (tests/oci_registry.rs): here, nobody answers.
    let err = one(&range, &mut Lockfile::new(), &opts).unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::Network, "{err}");

    let mut offline = FetchOptions::new(&f.cache);
    offline.offline = true;
    assert_eq!(one(&spec, &mut Lockfile::new(), &offline).unwrap_err().kind, FetchErrorKind::NotCached);
}

#[test]
fn progress_modes_do_not_disturb_results() {
    let f = fx();
    write_repo(&f.repo_dir, &web_versions());
    let server = Server::start(&f.repo_dir);
    for progress in [Progress::Bar, Progress::Lines, Progress::Quiet] {
        let mut opts = FetchOptions::new(&f.cache);
        opts.progress = progress;
        let got = one(&helm(&server.url(), "web", "2.0.0"), &mut Lockfile::new(), &opts).unwrap();
        assert_eq!(chart_version(&got.root), "2.0.0");
    }
}

#[test]
fn https_uses_the_system_tls_library_and_fails_cleanly() {
    // A TLS handshake against a plain-HTTP server: must be a Network error
    // (this exercises the native-tls provider setup; no panic).
    let f = fx();
    fs::create_dir_all(&f.repo_dir).unwrap();
    let server = Server::start(&f.repo_dir);
    let url = server.url().replace("http://", "https://");
    let err =
        one(&SourceSpec::Http { url: format!("{url}/x.yaml") }, &mut Lockfile::new(), &FetchOptions::new(&f.cache))
            .unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::Network, "{err}");
}
