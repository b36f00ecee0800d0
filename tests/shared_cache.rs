//! The render cache and fetched sources shared through a real OCI registry (`--cache-remote`):
//! a runner starting with an empty local cache pulls what another pushed, starts helm for none
//! of it and asks no source's origin; a read-only runner pushes nothing; an archive that is not
//! the one the lock pins is refused; an unreachable registry is one warning and the same output,
//! or an error where the pipeline denies that warning.

mod common;
mod fetch_support;

use std::path::Path;

use common::registry::Registry;
use common::{hldc_with_env, read_tree, write_files};
use fetch_support::{tgz, write_repo, RepoChart, Server, TestRepo};

/// An HLD of three helm components over one local chart.
fn hld(root: &Path) {
    let mut component = String::from("name: fleet\nsubcomponents:\n");
    for name in ["alpha", "beta", "gamma"] {
        component.push_str(&format!("  - name: {name}\n    type: helm\n    path: chart\n"));
    }
    write_files(
        root,
        &[
            ("component.yaml", &component),
            ("config/dev.yaml", "subcomponents:\n  alpha:\n    config: {size: small}\n"),
            ("chart/Chart.yaml", "apiVersion: v2\nname: app\nversion: 0.1.0\n"),
            ("chart/values.yaml", "size: medium\n"),
            (
                "chart/templates/config.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  size: {{ .Values.size | quote }}\n",
            ),
        ],
    );
}

/// A helm that notes each `helm template` in `log` before running the real one.
fn counting_helm(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let log = dir.join("helm.log");
    let script = dir.join("helm");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ \"$1\" = template ]; then echo \"$2\" >> '{}'; fi\nexec '{}' \"$@\"\n",
            log.display(),
            common::helm().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    (script, log)
}

fn renders(log: &Path) -> usize {
    std::fs::read_to_string(log).map(|text| text.lines().count()).unwrap_or(0)
}

/// One runner: its own HLD checkout, its own empty local cache, its own log of helm renders.
struct Runner {
    dir: tempfile::TempDir,
}

impl Runner {
    fn new() -> Runner {
        Runner::with(hld)
    }

    /// A runner whose HLD `write` writes.
    fn with(write: impl FnOnce(&Path)) -> Runner {
        let runner = Runner { dir: tempfile::tempdir().unwrap() };
        write(&runner.hld());
        runner
    }

    fn hld(&self) -> std::path::PathBuf {
        self.dir.path().join("hld")
    }

    fn generate(&self, extra: &[&str]) -> common::Exited {
        let (helm, _) = counting_helm(self.dir.path());
        let cache = self.dir.path().join("cache");
        // Renders are counted as helm starts.
        let mut args = vec!["generate", "dev", "-v", "--helm-engine", "binary"];
        args.extend(extra);
        hldc_with_env(
            &self.hld(),
            &args,
            &[("HLDC_HELM", helm.to_str().unwrap()), ("XDG_CACHE_HOME", cache.to_str().unwrap())],
        )
    }

    fn renders(&self) -> usize {
        renders(&self.dir.path().join("helm.log"))
    }

    fn output(&self) -> std::collections::BTreeMap<String, Vec<u8>> {
        read_tree(&self.hld().join("generated"))
    }
}

#[test]
fn a_runner_with_an_empty_cache_renders_nothing_another_pushed() {
    let registry = Registry::start();
    let remote = format!("oci://{}/hldc/render-cache", registry.host);

    let first = Runner::new();
    let run = first.generate(&["--cache-remote", &remote]).assert_code(0);
    assert_eq!(first.renders(), 3, "{}", run.stderr);
    run.assert_stderr_contains("shared cache: 0 renders pulled, 3 pushed");

    let second = Runner::new();
    let run = second.generate(&["--cache-remote", &remote]).assert_code(0);
    assert_eq!(second.renders(), 0, "helm started for renders the first runner pushed:\n{}", run.stderr);
    run.assert_stderr_contains("shared cache: 3 renders pulled, 0 pushed");
    assert_eq!(second.output(), first.output());

    // A read-only runner with a change renders it and pushes nothing: the next runner with
    // the same change renders it again.
    let reader = Runner::new();
    write_files(&reader.hld(), &[("config/dev.yaml", "subcomponents:\n  alpha:\n    config: {size: large}\n")]);
    let run = reader.generate(&["--cache-remote", &remote, "--cache-remote-read-only"]).assert_code(0);
    assert_eq!(reader.renders(), 1, "{}", run.stderr);
    run.assert_stderr_contains("shared cache: 2 renders pulled, 0 pushed");
    let writer = Runner::new();
    write_files(&writer.hld(), &[("config/dev.yaml", "subcomponents:\n  alpha:\n    config: {size: large}\n")]);
    writer.generate(&["--cache-remote", &remote]).assert_code(0);
    assert_eq!(writer.renders(), 1);
    assert_eq!(writer.output(), reader.output());
}

#[test]
fn an_unreachable_or_misnamed_shared_cache() {
    let alone = Runner::new();
    alone.generate(&[]).assert_code(0);
    // Port 1 on loopback: nothing listens.
    let unreachable = Runner::new();
    let run = unreachable.generate(&["--cache-remote", "oci://127.0.0.1:1/hldc/cache"]).assert_code(0);
    assert_eq!(run.stderr.matches("warning[hldc::cache::remote-unavailable]").count(), 1, "{}", run.stderr);
    assert_eq!(unreachable.output(), alone.output(), "the shared cache never changes an output");
    assert_eq!(unreachable.renders(), 3);
    let misnamed = Runner::new();
    misnamed
        .generate(&["--cache-remote", "https://ghcr.io/example/cache"])
        .assert_code(2)
        .assert_stderr_contains("error[hldc::cache::remote]");
}

/// An HLD with a chart from a Helm repository, manifests from a git repository and a manifest
/// file over http (from the chart repository's server), pinned in `lock` (as a pipeline's
/// checkout has them committed) when given.
fn sourced_hld<'a>(repository: &'a str, git: &'a Path, lock: Option<&'a str>) -> impl FnOnce(&Path) + 'a {
    move |root: &Path| {
        let component = format!(
            "name: fleet\nsubcomponents:\n  - name: web\n    type: helm\n    method: helm\n    source: {repository}\n    path: web\n    version: \"1.0.0\"\n  - name: manifests\n    type: static\n    method: git\n    source: {}\n    path: manifests\n    branch: main\n  - name: file\n    type: static\n    method: http\n    source: {repository}/file.yaml\n",
            git.display()
        );
        write_files(root, &[("component.yaml", &component), ("config/dev.yaml", "")]);
        if let Some(lock) = lock {
            write_files(root, &[("hldc.lock", lock)]);
        }
    }
}

/// The origins of `sourced_hld`'s sources: a Helm repository served on 127.0.0.1 and a git
/// repository on disk.
struct Origins {
    dir: tempfile::TempDir,
    server: Server,
}

impl Origins {
    fn start() -> Origins {
        let dir = tempfile::tempdir().unwrap();
        write_repo(&dir.path().join("charts"), &[RepoChart::new("web", "1.0.0", &[])]);
        let file = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-http\n";
        write_files(&dir.path().join("charts"), &[("file.yaml", file)]);
        let server = Server::start(&dir.path().join("charts"));
        let git = TestRepo::init(&dir.path().join("git"));
        git.commit(
            "manifests",
            &[("manifests/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-git\ndata:\n  a: b\n")],
        );
        Origins { dir, server }
    }

    fn git(&self) -> std::path::PathBuf {
        self.dir.path().join("git")
    }
}

#[test]
fn a_runner_with_an_empty_cache_fetches_no_source_another_pushed() {
    let registry = Registry::start();
    let remote = format!("oci://{}/hldc/cache", registry.host);
    let mut origins = Origins::start();
    let shared = ["--cache-remote", remote.as_str(), "--allow-local-sources"];

    let first = Runner::with(sourced_hld(&origins.server.url(), &origins.git(), None));
    let run = first.generate(&shared).assert_code(0);
    run.assert_stderr_contains("0 sources pulled, 3 pushed");
    let lock = std::fs::read_to_string(first.hld().join("hldc.lock")).unwrap();
    assert!(lock.contains("commit:") && lock.contains("digest: sha256:"), "{lock}");

    // The origins are gone: the chart repository stopped, the git repository moved away.
    let url = origins.server.url();
    let requests = origins.server.requests();
    origins.server.stop();
    std::fs::rename(origins.git(), origins.dir.path().join("moved")).unwrap();
    let second = Runner::with(sourced_hld(&url, &origins.git(), Some(&lock)));
    let run = second.generate(&[&shared[..], &["--locked"]].concat()).assert_code(0);
    run.assert_stderr_contains("shared cache: 1 renders pulled, 0 pushed; 3 sources pulled, 0 pushed");
    assert!(!run.stderr.contains("remote-unavailable"), "{}", run.stderr);
    assert_eq!(second.renders(), 0, "{}", run.stderr);
    assert_eq!(second.output(), first.output());
    assert_eq!(origins.server.requests(), requests);

    // Without the shared cache, the same runner cannot fetch them: the origins are really gone.
    let alone = Runner::with(sourced_hld(&url, &origins.git(), Some(&lock)));
    alone.generate(&["--allow-local-sources", "--locked"]).assert_code(2);
}

/// A pack of one commit of another repository: git objects, but not the pinned commit's.
fn another_commits_pack() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let other = TestRepo::init(dir.path());
    let commit = other.commit("other", &[("manifests/cm.yaml", "kind: ConfigMap\n")]);
    let mut builder = other.repo.packbuilder().unwrap();
    builder.insert_commit(git2::Oid::from_str(&commit).unwrap()).unwrap();
    let mut pack = git2::Buf::new();
    builder.write_buf(&mut pack).unwrap();
    pack.to_vec()
}

#[test]
fn a_shared_source_that_is_not_the_pinned_one_is_refused() {
    let registry = Registry::start();
    let remote = format!("oci://{}/hldc/cache", registry.host);
    let origins = Origins::start();
    let shared = ["--cache-remote", remote.as_str(), "--allow-local-sources"];
    let first = Runner::with(sourced_hld(&origins.server.url(), &origins.git(), None));
    first.generate(&shared).assert_code(0);
    let lock = std::fs::read_to_string(first.hld().join("hldc.lock")).unwrap();

    // The registry now holds another chart of the same name and version under the chart's entry,
    // and another repository's commit under the git one.
    let tags = registry.tags("hldc/cache");
    let tagged = |kind: &str| -> String {
        let found: Vec<&String> = tags.iter().filter(|tag| tag.starts_with(kind)).collect();
        assert_eq!(found.len(), 1, "{tags:?}");
        found[0].clone()
    };
    let poisoned = tgz(&[
        ("web/Chart.yaml", b"apiVersion: v2\nname: web\nversion: 1.0.0\n"),
        ("web/templates/cm.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: poisoned\n"),
    ]);
    registry.put_entry("hldc/cache", &tagged("chart-"), &poisoned);
    registry.put_entry("hldc/cache", &tagged("git-"), &another_commits_pack());

    let requests = origins.server.requests();
    let second = Runner::with(sourced_hld(&origins.server.url(), &origins.git(), Some(&lock)));
    let run = second.generate(&[&shared[..], &["--locked"]].concat()).assert_code(0);
    // Said once, as every trouble with the shared cache.
    assert_eq!(run.stderr.matches("warning[hldc::cache::remote-unavailable]").count(), 1, "{}", run.stderr);
    run.assert_stderr_contains("so it was refused");
    // Both fetched from their origins instead, and shared again; the http file came from the registry.
    run.assert_stderr_contains("1 sources pulled, 2 pushed");
    assert!(origins.server.requests() > requests);
    assert_eq!(second.output(), first.output(), "the refused entries were never used");

    // The entries are whole again: a third runner fetches nothing from the origins.
    let third = Runner::with(sourced_hld(&origins.server.url(), &origins.git(), Some(&lock)));
    let run = third.generate(&[&shared[..], &["--locked"]].concat()).assert_code(0);
    run.assert_stderr_contains("3 sources pulled, 0 pushed");
}

#[test]
fn a_denied_unreachable_shared_cache_stops_the_run() {
    let unreachable = ["--cache-remote", "oci://127.0.0.1:1/hldc/cache"];
    let denied = Runner::new();
    denied
        .generate(&[&unreachable[..], &["-D", "hldc::cache::remote-unavailable"]].concat())
        .assert_code(2)
        .assert_stderr_contains("error[hldc::cache::remote-unavailable]");
    assert!(!denied.hld().join("generated/dev").exists(), "a denied warning writes nothing");

    let allowed = Runner::new();
    let run = allowed.generate(&[&unreachable[..], &["-A", "hldc::cache::remote-unavailable"]].concat()).assert_code(0);
    assert!(!run.stderr.contains("remote-unavailable"), "{}", run.stderr);

    let denied_by_project = Runner::new();
    write_files(
        &denied_by_project.hld(),
        &[("hldc.yaml", "diagnostics:\n  deny: [hldc::cache::remote-unavailable]\n")],
    );
    denied_by_project.generate(&unreachable).assert_code(2);
    assert!(!denied_by_project.hld().join("generated/dev").exists());
}
