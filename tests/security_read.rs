//! Issue 21: a render sees the repository's files and nothing else. Each test is an attack
//! from an untrusted HLD (a fork's pull request) run through the real binary, real git
//! repositories, the real helm and `kubectl kustomize`, and an HTTP server on 127.0.0.1.

mod common;
mod fetch_support;

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use common::{hldc_with_env, read_tree, write_files, Exited, Run};
use fetch_support::{write_repo, RepoChart, Server, TestRepo};

/// What actions/checkout persists into `.git/config`: the token of the checkout.
const SECRET: &str = "c2VjcmV0LXRva2VuLXZhbHVl";

/// An HLD in `dir/hld`, with a private cache.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture { dir: tempfile::tempdir().unwrap() }
    }

    /// An HLD that is a git work tree whose `.git/config` holds a checkout's credentials.
    fn in_git(files: &[(&str, &str)]) -> (Fixture, TestRepo) {
        let fixture = Fixture::new();
        let repo = TestRepo::init(&fixture.hld());
        let config = fixture.hld().join(".git/config");
        let mut text = std::fs::read_to_string(&config).unwrap();
        text.push_str(&format!("[http \"https://github.com/\"]\n\textraheader = AUTHORIZATION: basic {SECRET}\n"));
        std::fs::write(&config, text).unwrap();
        repo.commit("hld", files);
        (fixture, repo)
    }

    fn hld(&self) -> PathBuf {
        self.dir.path().join("hld")
    }

    fn write(&self, files: &[(&str, &str)]) {
        write_files(&self.hld(), files);
    }

    fn run(&self, args: &[&str]) -> Exited {
        let cache = self.dir.path().join("xdg");
        std::fs::create_dir_all(&cache).unwrap();
        let kubectl = common::repo().join(".tools/bin/kubectl");
        hldc_with_env(
            &self.hld(),
            args,
            &[
                ("XDG_CACHE_HOME", cache.to_str().unwrap()),
                ("CI", "true"),
                ("HLDC_KUSTOMIZE", kubectl.to_str().unwrap()),
            ],
        )
    }

    /// Every file hldc wrote, as text.
    fn outputs(&self) -> String {
        let generated = self.hld().join("generated");
        if !generated.exists() {
            return String::new();
        }
        read_tree(&generated).into_values().map(|bytes| String::from_utf8_lossy(&bytes).into_owned()).collect()
    }

    /// `secret` appears nowhere: not in stdout, stderr, nor in any file hldc wrote.
    fn assert_no_leak(&self, run: &Run, secret: &str) {
        assert!(!run.stdout.contains(secret), "stdout leaks:\n{}", run.stdout);
        assert!(!run.stderr.contains(secret), "stderr leaks:\n{}", run.stderr);
        assert!(!self.outputs().contains(secret), "output leaks:\n{}", self.outputs());
    }
}

const CHART: &str = "apiVersion: v2\nname: leak\nversion: 0.1.0\n";

fn helm_at_root() -> String {
    "name: hld\nsubcomponents:\n  - name: leak\n    type: helm\n    path: .\n".to_string()
}

/// Attack 2: a chart at the HLD root reads `.git/config` with `.Files.Get`.
#[test]
fn a_chart_at_the_hld_root_cannot_read_git_config() {
    let template = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\ndata:\n  raw: {{ .Files.Get \".git/config\" | quote }}\n  b64: {{ .Files.Get \".git/config\" | b64enc | quote }}\n";
    let (fixture, _repo) = Fixture::in_git(&[
        ("component.yaml", &helm_at_root()),
        ("Chart.yaml", CHART),
        ("templates/leak.yaml", template),
        ("config/common.yaml", ""),
    ]);
    let run = fixture.run(&["generate"]).assert_code(0);
    fixture.assert_no_leak(&run, SECRET);
    let output = fixture.outputs();
    assert!(output.contains("raw: \"\"") && output.contains("b64: \"\""), "{output}");
    // Nor in the markdown comment of a PR.
    let run = fixture.run(&["diff", "--output", "markdown"]).assert_code(0);
    fixture.assert_no_leak(&run, SECRET);
}

/// Attack 2, through a link: the chart's file is a symlink to `.git/config`.
#[test]
fn a_chart_symlink_into_git_is_refused_without_its_content() {
    let template = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\ndata:\n  raw: {{ .Files.Get \"files/config\" | b64enc | quote }}\n";
    let (fixture, _repo) = Fixture::in_git(&[
        ("component.yaml", "name: hld\nsubcomponents:\n  - name: leak\n    type: helm\n    path: chart\n"),
        ("chart/Chart.yaml", CHART),
        ("chart/templates/leak.yaml", template),
        ("config/common.yaml", ""),
    ]);
    std::fs::create_dir_all(fixture.hld().join("chart/files")).unwrap();
    symlink("../../.git/config", fixture.hld().join("chart/files/config")).unwrap();
    let run = fixture.run(&["generate"]).assert_code(2);
    run.assert_stderr_contains("error[hldc::source::git-internals]").assert_stderr_contains("chart/files/config");
    fixture.assert_no_leak(&run, SECRET);
    assert!(!fixture.hld().join("generated").exists());
}

/// Attack 2, through kustomize: a `configMapGenerator` names `.git/config`.
#[test]
fn a_kustomize_generator_cannot_read_git_config() {
    let (fixture, _repo) = Fixture::in_git(&[
        ("component.yaml", "name: hld\nsubcomponents:\n  - name: leak\n    type: kustomize\n    path: .\n"),
        ("kustomization.yaml", "configMapGenerator:\n  - name: leak\n    files:\n      - token=.git/config\n"),
        ("config/common.yaml", ""),
    ]);
    for (command, code) in [(&["validate"][..], 1), (&["generate"], 2)] {
        let run = fixture.run(command).assert_code(code);
        run.assert_stderr_contains("error[hldc::source::git-internals]");
        fixture.assert_no_leak(&run, SECRET);
    }
}

/// A file git ignores is not part of the repository: a chart does not see it.
#[test]
fn a_chart_does_not_see_files_git_ignores() {
    let template = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: local\ndata:\n  local: {{ .Files.Get \"local-secret.txt\" | quote }}\n  kept: {{ .Files.Get \"kept.txt\" | quote }}\n";
    let (fixture, _repo) = Fixture::in_git(&[
        (".gitignore", "local-secret.txt\n"),
        ("component.yaml", &helm_at_root()),
        ("Chart.yaml", CHART),
        ("kept.txt", "committed"),
        ("templates/local.yaml", template),
        ("config/common.yaml", ""),
    ]);
    fixture.write(&[("local-secret.txt", "only-on-this-machine")]);
    let run = fixture.run(&["generate"]).assert_code(0);
    fixture.assert_no_leak(&run, "only-on-this-machine");
    assert!(fixture.outputs().contains("kept: committed"), "{}", fixture.outputs());
}

/// Attack 3: a template branching on `.git/HEAD` renders the same on any branch.
#[test]
fn a_template_cannot_branch_on_git_head() {
    let template = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: image\ndata:\n  image: {{ if contains \"main\" (.Files.Get \".git/HEAD\") }}evil.example/miner{{ else }}good.example/app{{ end }}\n";
    let (fixture, repo) = Fixture::in_git(&[
        ("component.yaml", &helm_at_root()),
        ("Chart.yaml", CHART),
        ("templates/image.yaml", template),
        ("config/common.yaml", ""),
    ]);
    fixture.run(&["generate"]).assert_code(0);
    let output = fixture.outputs();
    assert!(output.contains("good.example/app") && !output.contains("evil"), "{output}");
    // On the PR's detached HEAD, a diff against main shows what main would really render.
    let head = repo.repo.head().unwrap().peel_to_commit().unwrap().id();
    repo.repo.set_head_detached(head).unwrap();
    let run = fixture.run(&["diff", "--against", "main"]).assert_code(0);
    assert!(!run.stdout.contains("evil") && !run.stderr.contains("evil"), "{}\n{}", run.stdout, run.stderr);
}

/// Attack 10: every kustomization field that may name a URL is refused before kustomize runs;
/// kustomize is never started and the server gets no request.
#[test]
fn kustomize_urls_are_refused_before_any_request() {
    let served = tempfile::tempdir().unwrap();
    write_files(served.path(), &[("patch.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n")]);
    let server = Server::start(served.path());
    let url = format!("{}/patch.yaml", server.url());
    let fields = [
        format!("patches:\n  - path: {url}\n"),
        format!("patchesStrategicMerge:\n  - {url}\n"),
        format!("patchesJson6902:\n  - path: {url}\n    target: {{kind: ConfigMap, name: cm}}\n"),
        format!("transformers:\n  - {url}\n"),
        format!("generators:\n  - {url}\n"),
        format!("validators:\n  - {url}\n"),
        format!("configMapGenerator:\n  - name: g\n    files:\n      - {url}\n"),
        format!("secretGenerator:\n  - name: g\n    envs:\n      - {url}\n"),
        format!("replacements:\n  - path: {url}\n"),
        format!("openapi:\n  path: {url}\n"),
        format!("crds:\n  - {url}\n"),
        format!("configurations:\n  - {url}\n"),
        format!("components:\n  - {url}\n"),
    ];
    for field in fields {
        let fixture = Fixture::new();
        fixture.write(&[
            ("component.yaml", "name: hld\nsubcomponents:\n  - name: k\n    type: kustomize\n    path: k\n"),
            ("k/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"),
            ("k/kustomization.yaml", &format!("resources:\n  - cm.yaml\n{field}")),
            ("config/common.yaml", ""),
        ]);
        for (command, code) in [(&["validate"][..], 1), (&["generate"], 2), (&["diff", "--offline", "--locked"], 2)] {
            let run = fixture.run(command).assert_code(code);
            assert!(run.stderr.contains("error[hldc::kustomize::remote]"), "{field}:\n{}", run.stderr);
        }
        assert_eq!(server.requests(), 0, "{field}");
    }
}

/// Attack 10: a plugin config a transformer names may not name a URL either, named directly
/// or through a kustomization directory of transformer configs.
#[test]
fn a_transformer_config_cannot_name_a_url() {
    let served = tempfile::tempdir().unwrap();
    write_files(served.path(), &[("patch.yaml", "- op: add\n  path: /data/x\n  value: y\n")]);
    let server = Server::start(served.path());
    let patcher = format!("apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\npath: {}/patch.yaml\ntarget:\n  kind: ConfigMap\n", server.url());
    for (transformer, config) in [("patcher.yaml", "k/patcher.yaml"), ("transformers", "k/transformers/patcher.yaml")] {
        let fixture = Fixture::new();
        fixture.write(&[
            ("component.yaml", "name: hld\nsubcomponents:\n  - name: k\n    type: kustomize\n    path: k\n"),
            ("k/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"),
            ("k/kustomization.yaml", &format!("resources:\n  - cm.yaml\ntransformers:\n  - {transformer}\n")),
            ("k/transformers/kustomization.yaml", "resources:\n  - patcher.yaml\n"),
            (config, &patcher),
            ("config/common.yaml", ""),
        ]);
        let run = fixture.run(&["generate"]).assert_code(2);
        run.assert_stderr_contains("error[hldc::kustomize::remote]").assert_stderr_contains(config);
    }
    assert_eq!(server.requests(), 0);
}

/// Attack 10: a base outside the HLD, whose `secretGenerator` would put a key into the output.
#[test]
fn a_kustomize_base_outside_the_hld_is_refused() {
    let fixture = Fixture::new();
    write_files(
        fixture.dir.path(),
        &[
            ("outside/kustomization.yaml", "secretGenerator:\n  - name: stolen\n    files:\n      - key.txt\n"),
            ("outside/key.txt", "machine-private-key"),
        ],
    );
    fixture.write(&[
        ("component.yaml", "name: hld\nsubcomponents:\n  - name: k\n    type: kustomize\n    path: k\n"),
        ("k/kustomization.yaml", "resources:\n  - ../../outside\n"),
        ("config/common.yaml", ""),
    ]);
    for (command, code) in [(&["validate"][..], 1), (&["generate"], 2)] {
        let run = fixture.run(command).assert_code(code);
        run.assert_stderr_contains("error[hldc::source::escape]");
        fixture.assert_no_leak(&run, "machine-private-key");
        fixture.assert_no_leak(&run, "bWFjaGluZS1wcml2YXRlLWtleQ");
    }
    assert!(!fixture.hld().join("generated").exists());
}

/// Attack 11: every file hldc reads is refused, unread, when it is a symlink out of the HLD;
/// `validate` used to print the target in its snippet.
#[test]
fn hld_files_linked_out_of_the_hld_are_refused_unread() {
    const PRIVATE: &str = "root:x:0:0:private-line";
    // The file, and whether `validate` reads it (the lock, tokens and CRDs serve rendering).
    let cases = [
        ("config/common.yaml", true),
        ("dir/component.yaml", true),
        ("hldc.yaml", true),
        ("hldc.lock", false),
        ("access.yaml", false),
        ("crds/evil.yaml", false),
    ];
    for (link, validate_reads) in cases {
        let fixture = Fixture::new();
        write_files(fixture.dir.path(), &[("passwd", &format!("{PRIVATE}\n: [ broken\n"))]);
        fixture.write(&[
            ("component.yaml", "name: hld\nsubcomponents:\n  - name: dir\n    type: component\n    path: dir\n"),
            ("dir/component.yaml", "name: dir\nsubcomponents:\n  - name: cm\n    type: static\n    path: cm.yaml\n"),
            ("dir/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"),
            ("hldc.yaml", "crds:\n  - crds/\n"),
            ("crds/.keep", ""),
            ("config/common.yaml", ""),
        ]);
        let path = fixture.hld().join(link);
        let _ = std::fs::remove_file(&path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        symlink(fixture.dir.path().join("passwd"), &path).unwrap();
        for (command, code) in [(&["validate"][..], 1), (&["generate"], 2)] {
            let (run, wrong) = fixture.run(command).check_code(code);
            assert!(
                !run.stdout.contains("private-line") && !run.stderr.contains("private-line"),
                "{link}:\n{}",
                run.stderr
            );
            if command == ["generate"] || validate_reads {
                assert!(wrong.is_none(), "{link} {command:?}: {wrong:?}\n{}", run.stderr);
                assert!(run.stderr.contains("error[hldc::source::escape]"), "{link}:\n{}", run.stderr);
                assert!(run.stderr.contains(link), "{link}:\n{}", run.stderr);
            }
        }
    }
}

/// Builds `dN/a` and `dN/b`, both links to `dN+1`, for N below `depth`: 2^depth paths.
fn maze(root: &Path, depth: usize) {
    for n in 0..depth {
        std::fs::create_dir_all(root.join(format!("d{n}"))).unwrap();
    }
    for n in 0..depth - 1 {
        symlink(format!("../d{}", n + 1), root.join(format!("d{n}/a"))).unwrap();
        symlink(format!("../d{}", n + 1), root.join(format!("d{n}/b"))).unwrap();
    }
}

/// Attack 12: a maze of 40 levels in a static path and in a chart ends, refused.
#[test]
fn a_symlink_maze_ends() {
    let fixture = Fixture::new();
    fixture.write(&[
        (
            "component.yaml",
            "name: hld\nsubcomponents:\n  - name: s\n    type: static\n    path: static\n  - name: c\n    type: helm\n    path: chart\n",
        ),
        ("static/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"),
        ("chart/Chart.yaml", CHART),
        ("config/common.yaml", ""),
    ]);
    maze(&fixture.hld().join("static/maze"), 40);
    maze(&fixture.hld().join("chart/templates"), 40);
    for (command, code) in [(&["validate", "--rendered"][..], 1), (&["generate"], 2)] {
        let run = fixture.run(command).assert_code(code);
        run.assert_stderr_contains("error[hldc::source::link-loop]");
    }
}

/// Attack 14: a chart's link retargeted from v1 to v2 renders v2, with the cache or without.
#[test]
fn a_retargeted_chart_link_renders_its_new_target() {
    let fixture = Fixture::new();
    let served = fixture.dir.path().join("served");
    write_repo(&served, &[RepoChart::new("web", "1.0.0", &[])]);
    let server = Server::start(&served);
    let cm = |v: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: versioned\ndata:\n  v: {v}\n");
    fixture.write(&[
        ("component.yaml", "name: hld\nsubcomponents:\n  - name: c\n    type: helm\n    path: chart\n"),
        (
            "chart/Chart.yaml",
            &format!("apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n  - name: web\n    version: \"1.0.0\"\n    repository: {}\n", server.url()),
        ),
        ("chart/versions/v1.yaml", &cm("one")),
        ("chart/versions/v2.yaml", &cm("two")),
        ("config/common.yaml", ""),
    ]);
    let link = fixture.hld().join("chart/templates/versioned.yaml");
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    symlink("../versions/v1.yaml", &link).unwrap();
    fixture.run(&["generate"]).assert_code(0);
    assert!(fixture.outputs().contains("v: one"), "{}", fixture.outputs());
    std::fs::remove_file(&link).unwrap();
    symlink("../versions/v2.yaml", &link).unwrap();
    for command in [&["generate"][..], &["generate", "--no-cache"]] {
        fixture.run(command).assert_code(0);
        let output = fixture.outputs();
        assert!(output.contains("v: two") && !output.contains("v: one"), "{command:?}:\n{output}");
    }
}

/// `hldc set` reads the config file it edits as every HLD file: a link out of the HLD is
/// refused, neither printed nor written through.
#[test]
fn set_refuses_a_config_linked_out_of_the_hld() {
    let fixture = Fixture::new();
    let outside = fixture.dir.path().join("passwd");
    std::fs::write(&outside, "root:x:0:0:private-line\n: [ broken\n").unwrap();
    fixture.write(&[(
        "component.yaml",
        "name: hld\nsubcomponents:\n  - name: web\n    type: static\n    path: web.yaml\n",
    )]);
    std::fs::create_dir_all(fixture.hld().join("config")).unwrap();
    symlink(&outside, fixture.hld().join("config/prod.yaml")).unwrap();
    let run = fixture.run(&["set", "--env", "prod", "--component", "web", "image=evil"]).assert_code(2);
    run.assert_stderr_contains("error[hldc::source::escape]").assert_stderr_contains("config/prod.yaml");
    fixture.assert_no_leak(&run, "private-line");
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "root:x:0:0:private-line\n: [ broken\n");
}

/// A config file git ignores is not the repository's: left out, with a warning, never read.
#[test]
fn an_ignored_config_file_is_left_out_aloud() {
    let (fixture, _repo) = Fixture::in_git(&[
        (".gitignore", "config/local.yaml\n"),
        ("component.yaml", "name: hld\nsubcomponents:\n  - name: web\n    type: static\n    path: web.yaml\n"),
        ("web.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"),
        ("config/common.yaml", ""),
    ]);
    fixture
        .write(&[("config/local.yaml", "subcomponents:\n  web:\n    disabled: true\n# local-only-line\n: [ broken\n")]);
    let run = fixture.run(&["generate"]).assert_code(0);
    run.assert_stderr_contains("warning[hldc::config::ignored]").assert_stderr_contains("config/local.yaml");
    fixture.assert_no_leak(&run, "local-only-line");
    assert!(fixture.outputs().contains("name: web"), "{}", fixture.outputs());
}

/// hldc's own previous output is read as every input: a link in it out of the output
/// directory is refused, unread (`diff` used to quote the target in a parse error).
#[test]
fn the_previous_output_is_read_inside_its_directory() {
    let fixture = Fixture::new();
    let outside = fixture.dir.path().join("passwd");
    std::fs::write(&outside, "root:x:0:0:private-line\n: [ broken\n").unwrap();
    fixture.write(&[
        ("component.yaml", "name: hld\nsubcomponents:\n  - name: web\n    type: static\n    path: web.yaml\n"),
        ("web.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"),
        ("config/common.yaml", ""),
    ]);
    fixture.run(&["generate"]).assert_code(0);
    symlink(&outside, fixture.hld().join("generated/common/evil.yaml")).unwrap();
    // A link in the output is refused before anything reads the output, by both commands.
    for command in [&["diff"][..], &["generate"]] {
        let run = fixture.run(command).assert_code(2);
        run.assert_stderr_contains("error[hldc::output::symlink]").assert_stderr_contains("evil.yaml");
        assert!(!run.stdout.contains("private-line") && !run.stderr.contains("private-line"), "{}", run.stderr);
    }
}
