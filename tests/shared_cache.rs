//! The render cache shared through a real OCI registry (`--cache-remote`): a runner starting
//! with an empty local cache pulls what another pushed and starts helm for none of it; a
//! read-only runner pushes nothing; an unreachable registry is one warning and the same output.

mod common;

use std::path::Path;

use common::registry::Registry;
use common::{hldc_with_env, read_tree, write_files};

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
        let runner = Runner { dir: tempfile::tempdir().unwrap() };
        hld(&runner.hld());
        runner
    }

    fn hld(&self) -> std::path::PathBuf {
        self.dir.path().join("hld")
    }

    fn generate(&self, extra: &[&str]) -> common::Exited {
        let (helm, _) = counting_helm(self.dir.path());
        let cache = self.dir.path().join("cache");
        let mut args = vec!["generate", "dev", "-v"];
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
