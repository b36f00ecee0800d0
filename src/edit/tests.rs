use proptest::prelude::*;

use super::*;

fn keys(dotted: &str) -> Vec<Segment> {
    dotted.split('.').map(|k| Segment::Key(k.to_string())).collect()
}

fn edited(text: &str, dotted: &str, value: Value) -> Result<String, Problem> {
    let mut editor = Editor::open(&SourceFile::new("c.yaml", text))?;
    editor.set(&keys(dotted), &value)?;
    Ok(editor.text().to_string())
}

fn s(text: &str) -> Value {
    Value::String(text.to_string())
}

const COMMENTED: &str = "\
# the app's config
config:
    image:
        repository: 'nginx'   # pinned by CI
        tag: \"1.25\"

    # replicas per zone
    replicas: 2
subcomponents:
    jaeger:
        config: {}
";

#[test]
fn changing_a_scalar_changes_that_token_only() {
    let out = edited(COMMENTED, "config.image.tag", s("1.27")).unwrap();
    assert_eq!(out, COMMENTED.replace("tag: \"1.25\"", "tag: \"1.27\""));
    let out = edited(COMMENTED, "config.image.repository", s("nginx/nginx")).unwrap();
    assert_eq!(out, COMMENTED.replace("'nginx'   #", "nginx/nginx   #"));
}

#[test]
fn new_keys_go_after_the_last_entry_at_the_files_indent() {
    let out = edited(COMMENTED, "config.image.pullPolicy", s("Always")).unwrap();
    assert_eq!(out, COMMENTED.replace("tag: \"1.25\"\n", "tag: \"1.25\"\n        pullPolicy: Always\n"));
    let out = edited(COMMENTED, "config.resources.limits.cpu", s("1")).unwrap();
    let added = "    replicas: 2\n    resources:\n        limits:\n            cpu: \"1\"\n";
    assert_eq!(out, COMMENTED.replace("    replicas: 2\n", added));
}

#[test]
fn empty_and_null_mappings_become_blocks() {
    let out = edited(COMMENTED, "subcomponents.jaeger.config.a", Value::Bool(true)).unwrap();
    assert_eq!(out, COMMENTED.replace("config: {}\n", "config:\n            a: true\n"));
    let out = edited("config:  # values\nnext: 1\n", "config.a", s("x")).unwrap();
    assert_eq!(out, "config:  # values\n  a: x\nnext: 1\n");
    let out = edited("config: null  # none yet\nnext: 1\n", "config.a", s("x")).unwrap();
    assert_eq!(out, "config:  # none yet\n  a: x\nnext: 1\n");
}

#[test]
fn empty_files_and_comment_only_files_get_the_path() {
    assert_eq!(edited("", "config.a", s("1.10")).unwrap(), "config:\n  a: \"1.10\"\n");
    assert_eq!(edited("# nothing yet", "a", Value::Null).unwrap(), "# nothing yet\na: null\n");
}

#[test]
fn sequences_and_block_scalars_are_replaced_whole() {
    let text = "a:\n  b: |\n    line\n    # not a comment\n  c: 1\nlist:\n- x\n- y\nz: 0\n";
    let out = edited(text, "a.b", s("one")).unwrap();
    assert_eq!(out, "a:\n  b: one\n  c: 1\nlist:\n- x\n- y\nz: 0\n");
    let out = edited(text, "list", Value::Sequence(vec![s("q")])).unwrap();
    assert_eq!(out, "a:\n  b: |\n    line\n    # not a comment\n  c: 1\nlist:\n  - q\nz: 0\n");
}

#[test]
fn crlf_files_stay_crlf() {
    let mut editor = Editor::open(&SourceFile::new("c.yaml", "# c\r\nconfig:\r\n  a: 1\r\n")).unwrap();
    editor.set(&keys("config.b"), &s("x")).unwrap();
    editor.set(&keys("config.a"), &Value::Number(2.into())).unwrap();
    assert_eq!(editor.contents(), "# c\r\nconfig:\r\n  a: 2\r\n  b: x\r\n");
}

#[test]
fn walking_through_a_scalar_is_refused_with_its_location() {
    let problem = edited(COMMENTED, "config.replicas.max", s("3")).unwrap_err();
    assert_eq!(problem.code, "hldc::edit::through-scalar");
    assert_eq!(problem.where_().unwrap(), "c.yaml:8:15");
}

#[test]
fn flow_mappings_are_refused() {
    let problem = edited("config: {a: 1}\n", "config.b", s("x")).unwrap_err();
    assert_eq!(problem.code, "hldc::edit::unsupported");
    assert!(problem.message.contains("flow style"), "{}", problem.message);
}

#[test]
fn keys_are_removed_with_their_lines_and_a_last_key_leaves_an_empty_mapping() {
    let remove = |text: &str, dotted: &str| {
        let mut editor = Editor::open(&SourceFile::new("c.yaml", text)).unwrap();
        editor.remove(&keys(dotted)).map(|()| editor.text().to_string())
    };
    let out = remove(COMMENTED, "config.image").unwrap();
    assert_eq!(
        out,
        COMMENTED.replace("    image:\n        repository: 'nginx'   # pinned by CI\n        tag: \"1.25\"\n", "")
    );
    let out = remove(COMMENTED, "config.replicas").unwrap();
    assert_eq!(out, COMMENTED.replace("    replicas: 2\n", ""));
    let out = remove(COMMENTED, "config.image.tag").unwrap();
    assert_eq!(out, COMMENTED.replace("        tag: \"1.25\"\n", ""));
    let out = remove("a:\n  b:\n    c: 1  # note\nd: 2\n", "a.b.c").unwrap();
    assert_eq!(out, "a:\n  b: {}\nd: 2\n");
    assert_eq!(remove(COMMENTED, "config.nope").unwrap_err().code, "hldc::edit::unsupported");
}

#[test]
fn items_are_appended_and_removed_by_their_lines() {
    let text =
        "name: root\nsubcomponents:\n  # first\n  - name: a\n    source: x\n\n  - name: b # last\n    path: p\n# end\n";
    let mut editor = Editor::open(&SourceFile::new("component.yaml", text)).unwrap();
    let item: Value = serde_yaml::from_str("name: c\ntype: helm").unwrap();
    editor.push_item(&keys("subcomponents"), &item).unwrap();
    let added = text.replace("    path: p\n", "    path: p\n  - name: c\n    type: helm\n");
    assert_eq!(editor.text(), added);
    editor.remove_item(&keys("subcomponents"), 1).unwrap();
    assert_eq!(editor.text(), added.replace("  - name: b # last\n    path: p\n", ""));
}

#[test]
fn the_last_item_leaves_an_empty_sequence_and_missing_sequences_are_created() {
    let text = "name: r\nsubcomponents:  # children\n- name: a\n";
    let mut editor = Editor::open(&SourceFile::new("c.yaml", text)).unwrap();
    editor.remove_item(&keys("subcomponents"), 0).unwrap();
    assert_eq!(editor.text(), "name: r\nsubcomponents: []  # children\n");
    editor.set(&keys("subcomponents"), &Value::Null).unwrap();
    editor.set(&keys("subcomponents"), &Value::Sequence(vec![])).unwrap();
    let item: Value = serde_yaml::from_str("name: b").unwrap();
    editor.push_item(&keys("subcomponents"), &item).unwrap();
    assert_eq!(editor.text(), "name: r\nsubcomponents:  # children\n  - name: b\n");
}

/// Keys the generator draws from: some nested in the fixture, some not.
fn key_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("config".to_string()),
        Just("image".to_string()),
        Just("tag".to_string()),
        Just("sidecar.istio.io/inject".to_string()),
        "[a-z][a-zA-Z0-9_-]{0,6}",
    ]
}

fn scalar_strategy() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![Just("1.10"), Just("on"), Just("no"), Just("0x1F"), Just("~"), Just("- a"), Just("a: b")]
            .prop_map(|s| Value::String(s.to_string())),
    ]
}

/// Files in the styles people write: comments everywhere, four-space indents, quoted keys,
/// sequences without indentation, block scalars, a document marker, CRLF.
const FIXTURES: &[&str] = &[
    COMMENTED,
    "---\n\"config\": # the values\n  'image':\n    tag: v1 # pinned\n  list:\n  - a\n  - b: c\n  text: |\n    # not a comment\n    line\ntag: ~\n",
    "# nothing here yet\n",
    "",
    "config:\r\n  image:\r\n    tag: 1.0.0\r\n",
    "image:\n    tag: 'x' # c\n\n\n    # gap\n    config: {}\nsidecar.istio.io/inject: true\n",
];

proptest! {
    #[test]
    fn set_then_parse_gives_the_value_and_other_lines_stay(
        fixture in prop::sample::select(FIXTURES),
        path in prop::collection::vec(key_strategy(), 1..4),
        value in scalar_strategy(),
    ) {
        let path: Vec<Segment> = path.into_iter().map(Segment::Key).collect();
        let mut editor = Editor::open(&SourceFile::new("c.yaml", fixture)).unwrap();
        let original = editor.text().to_string();
        let replaces_lines = matches!(
            lookup(editor.value(), &path),
            Some(Value::Mapping(m)) if !m.is_empty()
        ) || matches!(lookup(editor.value(), &path), Some(Value::Sequence(l)) if !l.is_empty())
            || matches!(lookup(editor.value(), &path), Some(Value::String(t)) if t.contains('\n'));
        match editor.set(&path, &value) {
            Ok(()) => {
                let reparsed = parse_one(&SourceFile::new("c.yaml", editor.contents())).unwrap();
                prop_assert_eq!(lookup(&reparsed.value, &path), Some(&value));
                prop_assert_eq!(editor.contents().contains("\r\n"), fixture.contains("\r\n"));
                // Every line of the original is still there, in order, except the one replaced.
                let old: Vec<&str> = original.lines().collect();
                let new: Vec<&str> = editor.text().lines().collect();
                let diff = similar::TextDiff::from_slices(&old, &new);
                let removed = diff.iter_all_changes().filter(|c| c.tag() == similar::ChangeTag::Delete).count();
                prop_assert!(replaces_lines || removed <= 1, "{} lines removed:\n{}", removed, editor.text());
            }
            Err(problem) => {
                // Only a path through a scalar (or a flow collection) may be refused.
                prop_assert!(
                    ["hldc::edit::through-scalar", "hldc::edit::unsupported"].contains(&problem.code),
                    "{}", problem.message
                );
                prop_assert_eq!(editor.contents(), fixture);
            }
        }
    }
}

proptest! {
    #[test]
    fn several_sets_read_back_as_the_same_sets_on_the_value(
        fixture in prop::sample::select(FIXTURES),
        sets in prop::collection::vec((prop::collection::vec(key_strategy(), 1..4), scalar_strategy()), 1..6),
    ) {
        let mut editor = Editor::open(&SourceFile::new("c.yaml", fixture)).unwrap();
        let mut expected = editor.value().clone();
        for (path, value) in sets {
            let path: Vec<Segment> = path.into_iter().map(Segment::Key).collect();
            if editor.set(&path, &value).is_ok() {
                set_in(&mut expected, &path, value);
            }
            let reparsed = parse_one(&SourceFile::new("c.yaml", editor.contents())).unwrap();
            prop_assert_eq!(&reparsed.value, &expected);
        }
    }
}
