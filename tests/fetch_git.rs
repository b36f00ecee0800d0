//! Git sources against real repositories created on disk.

mod fetch_support;

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::Path;

use fetch_support::TestRepo;
use hldc::fetch::{fetch_all, FetchErrorKind, FetchOptions, Fetched, GitRef, Lockfile, SourceSpec};

struct Fixture {
    _tmp: tempfile::TempDir,
    remote: TestRepo,
    cache: std::path::PathBuf,
    c1: String,
    c2: String,
    c3: String,
    annotated_tag_object: String,
}

/// main: c1 (tag v1.0.0, annotated) -> c2 (tag light, lightweight, HEAD of main)
/// feature: c2 -> c3
fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let remote = TestRepo::init(&tmp.path().join("remote"));
    let c1 = remote.commit("one", &[("app/config.yaml", "version: 1\n")]);
    let annotated_tag_object = remote.tag_annotated("v1.0.0", &c1);
    let c2 = remote.commit("two", &[("app/config.yaml", "version: 2\n")]);
    remote.tag_lightweight("light", &c2);
    remote.checkout_new_branch("feature");
    let c3 = remote.commit("three", &[("app/config.yaml", "version: 3\n"), ("app/extra.yaml", "x: 1\n")]);
    remote.checkout_branch("main");
    let cache = tmp.path().join("cache");
    Fixture { _tmp: tmp, remote, cache, c1, c2, c3, annotated_tag_object }
}

fn git(url: &str, reference: GitRef) -> SourceSpec {
    SourceSpec::Git { url: url.to_string(), reference }
}

fn config_version(f: &Fetched) -> String {
    fs::read_to_string(f.root.join("app/config.yaml")).unwrap()
}

/// These repositories live in temporary directories on this machine, as only a pipeline's own
/// sources may (`--allow-local-sources`).
fn local_options(cache: impl Into<std::path::PathBuf>) -> FetchOptions {
    let mut options = FetchOptions::new(cache);
    options.allow_local_sources = true;
    options
}

fn one(spec: &SourceSpec, lock: &mut Lockfile, opts: &FetchOptions) -> Result<Fetched, hldc::fetch::FetchError> {
    fetch_all(std::slice::from_ref(spec), lock, opts).map(|mut v| v.remove(0)).map_err(|mut e| e.remove(0))
}

#[test]
fn tags_shas_and_branches_via_file_url_and_plain_path() {
    let fx = fixture();
    for url in [fx.remote.file_url(), fx.remote.path_url()] {
        let opts = local_options(&fx.cache);
        let short = fx.c2[..8].to_string();
        let specs = vec![
            git(&url, GitRef::Version("v1.0.0".into())),
            git(&url, GitRef::Version("light".into())),
            git(&url, GitRef::Version(fx.c1.clone())),
            git(&url, GitRef::Version(short.clone())),
            git(&url, GitRef::Branch("feature".into())),
            git(&url, GitRef::Default),
        ];
        let mut lock = Lockfile::new();
        let got = fetch_all(&specs, &mut lock, &opts).unwrap_or_else(|e| panic!("{e:?}"));
        let versions: Vec<String> = got.iter().map(config_version).collect();
        assert_eq!(
            versions,
            ["version: 1\n", "version: 2\n", "version: 1\n", "version: 2\n", "version: 3\n", "version: 2\n"]
        );
        // Content-addressed by commit; annotated tags peel to the commit.
        assert_eq!(got[0].root, fx.cache.join("git/trees").join(&fx.c1));
        assert_eq!(got[0].root, got[2].root);
        assert_eq!(lock.pin(&specs[0]).as_deref(), Some(fx.c1.as_str()));
        assert_ne!(lock.pin(&specs[0]), Some(fx.annotated_tag_object.clone()));
        assert_eq!(lock.pin(&specs[3]).as_deref(), Some(fx.c2.as_str()), "short sha resolves to the full sha");
        assert_eq!(lock.pin(&specs[4]).as_deref(), Some(fx.c3.as_str()));
        assert_eq!(lock.pin(&specs[5]).as_deref(), Some(fx.c2.as_str()));
        assert!(got[4].root.join("app/extra.yaml").is_file());
        assert!(!got[4].root.join(".git").exists());
        let text = lock.render();
        let (short, commit) = (hldc::yaml::write::scalar(&short), hldc::yaml::write::scalar(&fx.c2));
        assert!(text.contains(&format!("    ref: {short}\n    commit: {commit}\n")), "{text}");
        assert!(text.contains("    ref: HEAD\n"), "{text}");
    }
    // One mirror per URL.
    assert_eq!(fs::read_dir(fx.cache.join("git/mirrors")).unwrap().count(), 2);
}

#[test]
fn locked_branch_does_not_move_until_forgotten() {
    let fx = fixture();
    let opts = local_options(&fx.cache);
    let spec = git(&fx.remote.file_url(), GitRef::Branch("feature".into()));
    let mut lock = Lockfile::new();
    let first = one(&spec, &mut lock, &opts).unwrap();
    assert_eq!(lock.pin(&spec).as_deref(), Some(fx.c3.as_str()));
    let text = lock.render();

    // The branch moves on the remote.
    fx.remote.checkout_branch("feature");
    let c4 = fx.remote.commit("four", &[("app/config.yaml", "version: 4\n")]);

    let mut lock = Lockfile::parse(&text).unwrap();
    let again = one(&spec, &mut lock, &opts).unwrap();
    assert_eq!(again.root, first.root);
    assert_eq!(config_version(&again), "version: 3\n");
    assert!(!lock.is_changed());

    assert!(lock.forget(&spec));
    let moved = one(&spec, &mut lock, &opts).unwrap();
    assert_eq!(config_version(&moved), "version: 4\n");
    assert_eq!(lock.pin(&spec).as_deref(), Some(c4.as_str()));
    assert!(lock.is_changed());
    let before = Lockfile::parse(&text).unwrap();
    assert_eq!(
        lock.describe_changes(&before),
        vec![format!("~ git {} (feature): {} -> {}", fx.remote.file_url(), fx.c3, c4)]
    );
}

#[test]
fn locked_mode_fails_when_an_entry_is_missing() {
    let fx = fixture();
    let mut opts = local_options(&fx.cache);
    opts.locked = true;
    let spec = git(&fx.remote.file_url(), GitRef::Default);
    let mut lock = Lockfile::new();
    let err = one(&spec, &mut lock, &opts).unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::LockOutdated);
    assert!(err.to_string().contains("not in the lock file"), "{err}");
    assert!(lock.is_empty());

    // With the entry present, locked works.
    opts.locked = false;
    one(&spec, &mut lock, &opts).unwrap();
    opts.locked = true;
    let mut reloaded = Lockfile::parse(&lock.render()).unwrap();
    one(&spec, &mut reloaded, &opts).unwrap();
    assert!(!reloaded.is_changed());
}

#[test]
fn offline_with_warm_cache_works_after_the_remote_is_deleted() {
    let fx = fixture();
    let opts = local_options(&fx.cache);
    let specs = vec![
        git(&fx.remote.file_url(), GitRef::Version("v1.0.0".into())),
        git(&fx.remote.path_url(), GitRef::Branch("feature".into())),
    ];
    let mut lock = Lockfile::new();
    let online = fetch_all(&specs, &mut lock, &opts).unwrap();
    let text = lock.render();

    fs::remove_dir_all(&fx.remote.dir).unwrap();

    // Pinned and cached: no remote needed even when online.
    let mut lock = Lockfile::parse(&text).unwrap();
    assert_eq!(fetch_all(&specs, &mut lock, &local_options(&fx.cache)).unwrap(), online);

    let mut offline = local_options(&fx.cache);
    offline.offline = true;
    let mut lock = Lockfile::parse(&text).unwrap();
    let again = fetch_all(&specs, &mut lock, &offline).unwrap();
    assert_eq!(again, online);
    assert_eq!(lock.render(), text);

    // Pinned, tree removed, mirror still there: rebuilt offline from the mirror.
    fs::remove_dir_all(&online[0].root).unwrap();
    let again = fetch_all(&specs, &mut lock, &offline).unwrap();
    assert_eq!(config_version(&again[0]), "version: 1\n");

    // Not pinned: offline cannot resolve a branch even with a warm mirror.
    let err = one(&git(&fx.remote.file_url(), GitRef::Default), &mut lock, &offline).unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::NotCached);
}

#[test]
fn offline_with_cold_cache_is_not_cached() {
    let fx = fixture();
    let spec = git(&fx.remote.file_url(), GitRef::Version("v1.0.0".into()));
    // Pin it using another cache.
    let mut lock = Lockfile::new();
    one(&spec, &mut lock, &local_options(fx.cache.join("other"))).unwrap();

    let mut opts = local_options(fx.cache.join("cold"));
    opts.offline = true;
    let err = one(&spec, &mut lock, &opts).unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::NotCached);
    assert!(err.to_string().contains(&fx.c1), "{err}");

    let err = one(&spec, &mut Lockfile::new(), &opts).unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::NotCached);
    assert!(!fx.cache.join("cold/git/trees").exists());
}

#[test]
fn missing_refs_are_no_such_ref_and_all_errors_are_collected() {
    let fx = fixture();
    let opts = local_options(&fx.cache);
    let url = fx.remote.file_url();
    let specs = vec![
        git(&url, GitRef::Branch("nope".into())),
        git(&url, GitRef::Version("v9.9.9".into())),
        git(&url, GitRef::Version("deadbeef".into())),
        git(&url, GitRef::Version("0123456789012345678901234567890123456789".into())),
        git(&url, GitRef::Version("v1.0.0".into())),
    ];
    let mut lock = Lockfile::new();
    let errors = fetch_all(&specs, &mut lock, &opts).unwrap_err();
    assert_eq!(errors.len(), 4);
    for (e, spec) in errors.iter().zip(&specs) {
        assert_eq!(e.kind, FetchErrorKind::NoSuchRef, "{e}");
        assert_eq!(&e.spec, spec);
    }
    assert!(errors[0].to_string().contains("no branch \"nope\""), "{}", errors[0]);
    // The one that worked is pinned.
    assert_eq!(lock.len(), 1);
}

#[test]
fn missing_repository_is_not_found() {
    let fx = fixture();
    let opts = local_options(&fx.cache);
    let missing = fx.remote.dir.with_file_name("does-not-exist");
    let spec = git(&format!("file://{}", missing.display()), GitRef::Default);
    let err = one(&spec, &mut Lockfile::new(), &opts).unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::NotFound, "{err}");
    assert!(err.to_string().starts_with("cannot fetch git file://"), "{err}");
}

#[test]
fn equal_specs_are_deduplicated_and_order_is_kept() {
    let fx = fixture();
    let opts = local_options(&fx.cache);
    let url = fx.remote.file_url();
    let a = git(&url, GitRef::Version("v1.0.0".into()));
    let b = git(&url, GitRef::Branch("feature".into()));
    let mut lock = Lockfile::new();
    let got = fetch_all(&[a.clone(), b.clone(), a.clone()], &mut lock, &opts).unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(got[0], got[2]);
    assert_eq!(config_version(&got[1]), "version: 3\n");
    assert_eq!(lock.len(), 2);
}

#[test]
fn lock_text_does_not_depend_on_spec_order() {
    let fx = fixture();
    let url = fx.remote.file_url();
    let specs = vec![
        git(&url, GitRef::Version("v1.0.0".into())),
        git(&url, GitRef::Branch("feature".into())),
        git(&url, GitRef::Default),
        git(&fx.remote.path_url(), GitRef::Version("light".into())),
    ];
    let mut forward = Lockfile::new();
    fetch_all(&specs, &mut forward, &local_options(&fx.cache)).unwrap();
    let mut reversed_specs = specs.clone();
    reversed_specs.reverse();
    let mut backward = Lockfile::new();
    fetch_all(&reversed_specs, &mut backward, &local_options(fx.cache.join("second"))).unwrap();
    assert_eq!(forward.render(), backward.render());
    assert_eq!(Lockfile::parse(&forward.render()).unwrap().render(), forward.render());
}

#[test]
fn executable_bits_and_symlinks_are_checked_out() {
    let tmp = tempfile::tempdir().unwrap();
    let remote = TestRepo::init(&tmp.path().join("remote"));
    fs::create_dir_all(remote.dir.join("bin")).unwrap();
    fs::write(remote.dir.join("bin/run.sh"), "#!/bin/sh\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(remote.dir.join("bin/run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::symlink("bin/run.sh", remote.dir.join("link")).unwrap();
    }
    remote.commit("files", &[("README.md", "hi\n")]);
    let spec = git(&remote.file_url(), GitRef::Default);
    let got = one(&spec, &mut Lockfile::new(), &local_options(tmp.path().join("cache"))).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(got.root.join("bin/run.sh")).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111);
        assert_eq!(fs::read_link(got.root.join("link")).unwrap(), Path::new("bin/run.sh"));
    }
    assert_eq!(fs::read_to_string(got.root.join("README.md")).unwrap(), "hi\n");
}

#[test]
fn concurrent_runs_share_one_cache() {
    let fx = fixture();
    let url = fx.remote.file_url();
    let specs = vec![
        git(&url, GitRef::Version("v1.0.0".into())),
        git(&url, GitRef::Branch("feature".into())),
        git(&fx.remote.path_url(), GitRef::Default),
    ];
    let results: Vec<Vec<Fetched>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let specs = specs.clone();
                let cache = fx.cache.clone();
                scope.spawn(move || {
                    let mut lock = Lockfile::new();
                    fetch_all(&specs, &mut lock, &local_options(cache)).unwrap_or_else(|e| panic!("{e:?}"))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in &results {
        assert_eq!(r, &results[0]);
    }
    assert_eq!(config_version(&results[0][1]), "version: 3\n");
    // No temporary directories left behind.
    let leftovers: Vec<_> = fs::read_dir(fx.cache.join("git/trees"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
        .collect();
    assert!(leftovers.is_empty());
}

/// `git daemon` serving the repositories under `base` on 127.0.0.1 (a real smart-protocol
/// server: the local transport never fetches by id); its process group is killed on drop, since
/// `git daemon` runs the daemon as a child of its own.
struct Daemon {
    child: std::process::Child,
    port: u16,
}

impl Daemon {
    fn start(base: &Path) -> Daemon {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = std::process::Command::new("git")
            .args(["daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1"])
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", base.display()))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .process_group(0)
            .spawn()
            .expect("git daemon (the git binary) is needed");
        let listening = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < listening, "git daemon did not start");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Daemon { child, port }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the process group `process_group(0)` created for the daemon.
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

#[test]
fn a_commit_fetched_by_id_keeps_what_the_server_answered() {
    let tmp = tempfile::tempdir().unwrap();
    let remote = TestRepo::init(&tmp.path().join("served/remote"));
    remote.commit("one", &[("app/config.yaml", "version: 1\n")]);
    remote.checkout_new_branch("gone");
    let lost = remote.commit("two", &[("app/config.yaml", "version: 2\n")]);
    remote.checkout_branch("main");
    remote.repo.find_branch("gone", git2::BranchType::Local).unwrap().delete().unwrap();
    remote.repo.config().unwrap().set_bool("uploadpack.allowAnySHA1InWant", true).unwrap();
    // The server has the commit, which no branch reaches, but cannot read it.
    let object = remote.dir.join(".git/objects").join(&lost[..2]).join(&lost[2..]);
    fs::remove_file(&object).unwrap();
    fs::write(&object, b"not a zlib stream").unwrap();
    let daemon = Daemon::start(&tmp.path().join("served"));
    let url = format!("git://127.0.0.1:{}/remote", daemon.port);
    let opts = local_options(tmp.path().join("cache"));
    let err = one(&git(&url, GitRef::Version(lost.clone())), &mut Lockfile::new(), &opts).unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::NoSuchRef, "{err}");
    assert!(err.message.contains("asked for it by id, the remote answered: "), "{err}");

    // The same through a pin in the lock file.
    let spec = git(&url, GitRef::Branch("main".into()));
    let mut lock = Lockfile::new();
    one(&spec, &mut lock, &opts).unwrap();
    let text = lock.render().replace(&lock.pin(&spec).unwrap(), &lost);
    let cold = local_options(tmp.path().join("cold-cache"));
    let err = one(&spec, &mut Lockfile::parse(&text).unwrap(), &cold).unwrap_err();
    assert!(err.message.contains("no longer in the repository (asked for it by id, the remote answered: "), "{err}");
}
