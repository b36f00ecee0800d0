//! Stand-ins for the template executor and Sprig until their branches land (gt-exec, sprig):
//! the same API, no templates run. Removed by the merge.

use std::collections::BTreeSet;

use crate::gotemplate::{Functions, Value};

pub struct TemplateError {
    pub message: String,
}

pub struct TemplateSet {
    functions: Functions,
}

impl TemplateSet {
    pub fn new(functions: Functions) -> TemplateSet {
        TemplateSet { functions }
    }

    pub fn parse(&mut self, _name: &str, _source: &str) -> Result<(), TemplateError> {
        let _ = &self.functions;
        Ok(())
    }

    pub fn execute(&self, name: &str, _data: &Value) -> Result<String, TemplateError> {
        Err(TemplateError { message: format!("template: {name}: no executor yet") })
    }

    pub fn functions_used(&self) -> BTreeSet<String> {
        BTreeSet::new()
    }

    pub fn methods_used(&self) -> BTreeSet<String> {
        BTreeSet::new()
    }
}

pub fn sprig_functions() -> Functions {
    Functions::new()
}
