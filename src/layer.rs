//! Config layering: the one place that decides how values from several files combine.
//!
//! A component's effective config is a stack of layers, highest priority first: the parent's
//! merged `subcomponents.<name>` block (itself the parent's layers, projected), then the
//! component's own `config/<env>` files in the order the environments were named, then its
//! `config/common`; below them, what the containers above it set for their whole subtree
//! (`resolve::passed_down`). The stack is kept, not just its merge, so that later stages can say
//! which file and line set each value.
//!
//! Rules (Fabrikate's, except lists): maps merge key by key, recursively; for anything else
//! the higher layer wins, and a list in a higher layer replaces the lower list whole.

use std::sync::Arc;

use serde_yaml::Value;

use crate::yaml::{Document, Segment, ValuePath};

/// One config file's contribution to a component: the value at `prefix` inside `document`.
#[derive(Debug, Clone)]
pub struct Layer {
    pub document: Arc<Document>,
    pub prefix: ValuePath,
    pub value: Value,
    /// The container (its path in the tree) whose whole subtree this layer configures, when it
    /// reaches the component from a container above it rather than as its own config.
    pub container: Option<String>,
}

impl Layer {
    pub fn whole(document: Arc<Document>) -> Layer {
        let value = without_empty_fields(&document.value);
        Layer { document, prefix: Vec::new(), value, container: None }
    }

    /// The part of this layer that configures the child `name`, if the layer mentions it.
    pub fn for_subcomponent(&self, name: &str) -> Option<Layer> {
        self.project(&["subcomponents", name])
    }

    /// The block at `keys` inside this layer, as a layer of its own (a ring's block, a child's).
    pub fn project(&self, keys: &[&str]) -> Option<Layer> {
        let value = keys.iter().try_fold(&self.value, |value, key| value.get(key))?.clone();
        let mut prefix = self.prefix.clone();
        prefix.extend(keys.iter().map(|key| Segment::Key(key.to_string())));
        Some(Layer { document: self.document.clone(), prefix, value, container: self.container.clone() })
    }
}

/// A config block without the fields written with no value (`config:`, `namespace:`,
/// `subcomponents:` or `<child>:` alone on a line): Fabrikate read them as absent, so they
/// hide nothing below them. Inside `config` a null keeps its meaning for helm (remove the
/// chart's default), so the values are left as they are.
fn without_empty_fields(block: &Value) -> Value {
    let Value::Mapping(fields) = block else { return block.clone() };
    let kept = fields.iter().filter(|(_, value)| !value.is_null()).map(|(key, value)| {
        let value = match (key.as_str(), value) {
            (Some("subcomponents"), Value::Mapping(children)) => Value::Mapping(
                children
                    .iter()
                    .filter(|(_, child)| !child.is_null())
                    .map(|(name, child)| (name.clone(), without_empty_fields(child)))
                    .collect(),
            ),
            _ => value.clone(),
        };
        (key.clone(), value)
    });
    Value::Mapping(kept.collect())
}

/// Merges `low` under `high`: the result has every key of both, `high` winning on conflicts.
/// A patch (`patches.<name>`) is replaced whole: two halves of different patches are no patch.
pub fn merge(high: &Value, low: &Value) -> Value {
    merge_in(high, low, Depth::Top)
}

#[derive(Clone, Copy, PartialEq)]
enum Depth {
    Top,
    Patches,
    Below,
}

fn merge_in(high: &Value, low: &Value, depth: Depth) -> Value {
    match (high, low) {
        (Value::Mapping(high_map), Value::Mapping(low_map)) => {
            let mut merged = low_map.clone();
            for (key, high_value) in high_map {
                let value = match low_map.get(key) {
                    Some(_) if depth == Depth::Patches => high_value.clone(),
                    Some(low_value) if depth == Depth::Top && key.as_str() == Some("patches") => {
                        merge_in(high_value, low_value, Depth::Patches)
                    }
                    Some(low_value) => merge_in(high_value, low_value, Depth::Below),
                    None => high_value.clone(),
                };
                merged.insert(key.clone(), value);
            }
            Value::Mapping(merged)
        }
        (high, _) => high.clone(),
    }
}

/// Merges a stack of layers, highest priority first: each layer applies over the merge of all
/// layers below it. An empty layer (an empty or comment-only config file) contributes nothing;
/// an explicit `null` inside a layer does override.
pub fn merge_stack(layers: &[Layer]) -> Value {
    layers
        .iter()
        .rev()
        .filter(|layer| !layer.value.is_null())
        .fold(Value::Null, |merged, layer| merge(&layer.value, &merged))
}

#[cfg(test)]
mod reference;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn yaml(text: &str) -> Value {
        serde_yaml::from_str(text).unwrap()
    }

    /// One table row: high, low, expected merge.
    fn check(high: &str, low: &str, expected: &str) {
        assert_eq!(merge(&yaml(high), &yaml(low)), yaml(expected), "merging {high:?} over {low:?}");
    }

    #[test]
    fn an_empty_file_changes_nothing() {
        let layer = |text: &str| {
            let file = crate::diag::SourceFile::new("f.yaml", text);
            Layer::whole(std::sync::Arc::new(crate::yaml::parse_one(&file).unwrap()))
        };
        let stack = [layer("# only a comment\n"), layer(""), layer("disabled: true\nnamespace: x\n")];
        assert_eq!(merge_stack(&stack), yaml("{disabled: true, namespace: x}"));
    }

    #[test]
    fn merge_rules() {
        // Maps merge deeply, high wins on scalars.
        check("a: {b: 1}", "a: {b: 2, c: 3}", "a: {b: 1, c: 3}");
        check("x: 1", "y: 2", "{x: 1, y: 2}");
        // Lists: the higher list replaces the lower one (Fabrikate appended them).
        check("l: [1]", "l: [2, 3]", "l: [1]");
        check("l: []", "l: [2, 3]", "l: []");
        // A type change: the higher layer wins whole.
        check("a: scalar", "a: {b: 1}", "a: scalar");
        check("a: {b: 1}", "a: [1]", "a: {b: 1}");
        // An explicit null overrides (helm reads it as "remove the chart default").
        check("a: null", "a: 1", "a: null");
        check("a: {b: null}", "a: {b: 1, c: 2}", "a: {b: null, c: 2}");
        // Booleans: false is a real value and wins.
        check("disabled: false", "disabled: true", "disabled: false");
        // A patch is replaced whole, by name; a `patches` key inside values is a value.
        check(
            "patches: {p: {patch: {a: 1}}}",
            "patches: {p: {target: {kind: X}}, q: {}}",
            "patches: {p: {patch: {a: 1}}, q: {}}",
        );
        check(
            "config: {patches: {p: {a: 1}}}",
            "config: {patches: {p: {b: 2}}}",
            "config: {patches: {p: {a: 1, b: 2}}}",
        );
    }

    fn arb_leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (0i64..5).prop_map(|n| Value::Number(n.into())),
            prop::collection::vec((0i64..3).prop_map(|n| Value::Number(n.into())), 0..3).prop_map(Value::Sequence),
        ]
    }

    /// Config-shaped values: keys `a`/`b` always hold maps, `x`/`y` always hold leaves, as in
    /// real config where one key has one type across files.
    fn arb_config(depth: u32) -> BoxedStrategy<Value> {
        let nested = if depth == 0 { Just(None).boxed() } else { prop::option::of(arb_config(depth - 1)).boxed() };
        (nested.clone(), nested, prop::option::of(arb_leaf()), prop::option::of(arb_leaf()))
            .prop_map(|(a, b, x, y)| {
                let mut map = serde_yaml::Mapping::new();
                for (key, value) in [("a", a), ("b", b), ("x", x), ("y", y)] {
                    if let Some(value) = value {
                        map.insert(Value::String(key.into()), value);
                    }
                }
                Value::Mapping(map)
            })
            .boxed()
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        arb_leaf().prop_recursive(3, 24, 4, |inner| {
            prop::collection::btree_map("[abc]", inner, 0..4)
                .prop_map(|m| Value::Mapping(m.into_iter().map(|(k, v)| (Value::String(k), v)).collect()))
        })
    }

    /// Layers as the resolver builds them: only the value matters to the merge.
    fn layers(values: &[Value]) -> Vec<Layer> {
        let file = crate::diag::SourceFile::new("f.yaml", "");
        let document = std::sync::Arc::new(crate::yaml::parse_one(&file).unwrap());
        values
            .iter()
            .map(|value| Layer {
                document: document.clone(),
                prefix: Vec::new(),
                value: value.clone(),
                container: None,
            })
            .collect()
    }

    proptest! {
        #[test]
        fn merge_is_associative_for_config_shaped_values(a in arb_config(3), b in arb_config(3), c in arb_config(3)) {
            // Projecting the parent's layers into the child's stack gives the same result as
            // merging the parent's block over the child's merged files, as Fabrikate did.
            prop_assert_eq!(merge(&merge(&a, &b), &c), merge(&a, &merge(&b, &c)));
        }

        #[test]
        fn merge_follows_the_reference_model(high in arb_value(), low in arb_value()) {
            prop_assert_eq!(reference::flatten(&merge(&high, &low)), reference::expected(&[&high, &low]));
        }

        #[test]
        fn merge_follows_the_reference_model_on_config_shaped_values(high in arb_config(3), low in arb_config(3)) {
            prop_assert_eq!(reference::flatten(&merge(&high, &low)), reference::expected(&[&high, &low]));
        }

        #[test]
        fn merge_stack_follows_the_reference_model(values in prop::collection::vec(arb_value(), 0..5)) {
            // Empty files (null) contribute nothing; with none left the merge is null.
            let kept: Vec<&Value> = values.iter().filter(|value| !value.is_null()).collect();
            let expected =
                if kept.is_empty() { reference::flatten(&Value::Null) } else { reference::expected(&kept) };
            prop_assert_eq!(reference::flatten(&merge_stack(&layers(&values))), expected);
        }
    }
}
