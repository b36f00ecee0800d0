//! `hldc diff` cannot be fooled by what the HLD renders (issue 21, attacks 4 and 5): every value
//! it prints is escaped for its format, and a rendered object cannot pass for hldc's stamps.

mod common;

use common::{hldc, read_tree, write_files};

const COMPONENT: &str = "name: app\ntype: static\npath: manifests\n";

fn config_map(name: &str, value: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: web\ndata:\n  key: {value}\n")
}

/// A static HLD whose `prod` output holds the ConfigMaps `a` and `b`, generated.
fn generated_hld() -> tempfile::TempDir {
    let hld = tempfile::tempdir().unwrap();
    let manifests = format!("{}---\n{}", config_map("a", "one"), config_map("b", "one"));
    write_files(
        hld.path(),
        &[("component.yaml", COMPONENT), ("config/prod.yaml", ""), ("manifests/maps.yaml", &manifests)],
    );
    hldc(hld.path(), &["generate", "prod"]).assert_code(0);
    hld
}

/// The HTML tags of a markdown text outside its fenced code blocks, in order.
fn tags_outside_fences(markdown: &str) -> Vec<String> {
    let mut tags = Vec::new();
    let mut fence: Option<usize> = None;
    for line in markdown.lines() {
        let ticks = line.len() - line.trim_start_matches('`').len();
        match fence {
            Some(open) if ticks >= open && line.trim_start_matches('`').trim().is_empty() => fence = None,
            Some(_) => {}
            None if ticks >= 3 => fence = Some(ticks),
            None => {
                let mut rest = line;
                while let Some(start) = rest.find('<') {
                    let end = rest[start..].find('>').map_or(rest.len(), |end| start + end + 1);
                    tags.push(rest[start..end].to_string());
                    rest = &rest[end..];
                }
            }
        }
    }
    assert!(fence.is_none(), "a fence is left open:\n{markdown}");
    tags
}

#[test]
fn markdown_values_cannot_open_a_comment_or_close_the_markup() {
    let hld = generated_hld();
    // An object whose kind closes the summary and opens an HTML comment (the old output hid
    // every change after it), and a value that tries to close the diff's fence and details.
    let injected = "apiVersion: example.com/v1\nkind: \"</code></summary></details> <!--\"\nmetadata:\n  name: \"x|y`z\"\n  namespace: web\n";
    let manifests =
        format!("{}---\n{}---\n{injected}", config_map("a", "\"```\\n</details>\\n<!--\""), config_map("b", "two"));
    write_files(hld.path(), &[("manifests/maps.yaml", &manifests)]);
    let run = hldc(hld.path(), &["diff", "prod", "--output", "markdown"]).assert_code(1);
    let markdown = &run.stdout;
    // Outside the fenced diffs (where `<!--` is text) only hldc's own tags: no comment opens.
    let tags = tags_outside_fences(markdown);
    let allowed = ["<details>", "</details>", "<summary>", "</summary>", "<code>", "</code>"];
    assert!(tags.iter().all(|tag| allowed.contains(&tag.as_str())), "{tags:?}\n{markdown}");
    // Two changed objects: two sections, each closed, each naming its object.
    assert_eq!(tags.iter().filter(|t| *t == "<details>").count(), 2, "{markdown}");
    assert_eq!(tags.iter().filter(|t| *t == "</details>").count(), 2, "{markdown}");
    assert!(markdown.contains("<summary>changed <code>v1 ConfigMap web/b</code>"), "{markdown}");
    assert!(markdown.contains("+  key: two\n"), "the change after the injected entry shows:\n{markdown}");
    // The table keeps its six columns.
    assert!(markdown.contains("| prod | 2 | 1 | 0 | 0 | 0 |\n"), "{markdown}");
    for line in markdown.lines().filter(|line| line.starts_with("- added")) {
        assert!(!line.contains('`') && !line.contains('|'), "{line}");
    }
}

#[test]
fn text_and_json_show_control_characters_as_escapes() {
    let hld = generated_hld();
    let injected = "apiVersion: example.com/v1\nkind: \"Evil\\e[2J\\u202e\"\nmetadata:\n  name: \"x\\nprod: 0 changed, 0 added, 0 removed\"\n  namespace: web\n";
    let manifests = format!("{}---\n{}---\n{injected}", config_map("a", "one"), config_map("b", "one"));
    write_files(hld.path(), &[("manifests/maps.yaml", &manifests)]);
    let run = hldc(hld.path(), &["diff", "prod"]).assert_code(1);
    assert!(!run.stdout.contains('\u{1b}') && !run.stdout.contains('\u{202e}'), "{:?}", run.stdout);
    assert_eq!(
        run.stdout,
        "added example.com/v1 Evil\\u{1b}[2J\\u{202e} web/x\\u{a}prod: 0 changed, 0 added, 0 removed (app.yaml)\nprod: 0 changed, 1 added, 0 removed\n\
         metadata: .hldc/prod.json (they follow the HLD commit; not counted as changes)\n"
    );
    let json = hldc(hld.path(), &["diff", "prod", "--output", "json"]).assert_code(1);
    assert!(!json.stdout.contains('\u{1b}'), "{:?}", json.stdout);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let added = &report["targets"][0]["added"][0];
    assert_eq!(added["kind"], "Evil\u{1b}[2J\u{202e}", "JSON keeps the exact value");
    assert_eq!(added["name"], "x\nprod: 0 changed, 0 added, 0 removed");
}

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: web\nspec:\n  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels:\n        app: api\n    spec:\n      containers:\n        - {name: api, image: api:1}\n";

#[test]
fn a_key_under_hldcs_prefix_in_a_rendered_object_is_refused_not_hidden_or_dropped() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(root, &[("component.yaml", COMPONENT), ("config/prod.yaml", ""), ("manifests/api.yaml", DEPLOYMENT)]);
    hldc(root, &["generate", "prod"]).assert_code(0);
    // The output carries hldc's own stamps: no diff.
    hldc(root, &["diff", "prod"]).assert_code(0);
    let opened = DEPLOYMENT.replace("        app: api\n", "        app: api\n        hldc.io/debug-open: \"true\"\n");
    write_files(root, &[("manifests/api.yaml", &opened)]);
    let before = read_tree(root);
    for (args, code) in [
        (&["diff", "prod"][..], 2),
        (&["diff", "prod", "--no-check", "--output", "markdown"], 2),
        (&["generate", "prod"], 2),
        (&["generate", "prod", "--no-check"], 2),
        (&["validate", "--rendered"], 1),
    ] {
        let run = hldc(root, args).assert_code(code);
        run.assert_stderr_contains("error[hldc::output::reserved-key]");
        run.assert_stderr_contains(
            "`Deployment api` (component `app`) sets the pod template label `hldc.io/debug-open`",
        );
        run.assert_stderr_contains("manifests/api.yaml:13:9");
        assert_eq!(read_tree(root), before, "{args:?} wrote something");
    }
    // A key a config value adds is refused as well, and the config value is named.
    write_files(
        root,
        &[("manifests/api.yaml", DEPLOYMENT), ("config/prod.yaml", "podLabels:\n  hldc.io/ring: stable\n")],
    );
    let run = hldc(root, &["generate", "prod"]).assert_code(2);
    run.assert_stderr_contains("error[hldc::output::reserved-key]");
    run.assert_stderr_contains("sets the pod template label `hldc.io/ring`");
    run.assert_stderr_contains("`podLabels` sets it in config/prod.yaml:2:3");
}

#[test]
fn a_problem_naming_an_object_cannot_fake_a_line_or_drive_the_terminal() {
    let hld = tempfile::tempdir().unwrap();
    let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: \"r\\n::error::forged\\e[2J\"\n  namespace: x\n";
    write_files(hld.path(), &[("component.yaml", COMPONENT), ("config/prod.yaml", ""), ("manifests/role.yaml", role)]);
    // The chart's namespace on a cluster-scoped object is dropped with a warning naming it.
    let run = hldc(hld.path(), &["generate", "prod"]).assert_code(0);
    run.assert_stderr_contains(
        "warning[hldc::render::namespace-dropped]: `ClusterRole r\\u{a}::error::forged\\u{1b}[2J`",
    );
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
    assert!(run.stderr.lines().all(|line| !line.starts_with("::")), "{}", run.stderr);
}
