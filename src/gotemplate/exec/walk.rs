//! One execution: Go's `text/template` state (dot, the variable stack, the node being
//! evaluated for errors) walking a template's tree and writing its output.
//!
//! Go's reflection distinguishes a value read out of a map or a list (an `interface {}` that
//! may hold nil) from a value a pipeline produced: a field of the first kind of nil is an error
//! (`nil pointer evaluating interface {}.b`), a field of an untyped nil is nil. `Held` keeps
//! that distinction where Go keeps it: along a field chain, in dot and in range variables.

use std::collections::HashMap;
use std::rc::Rc;

use gotmpl::parse::{BranchNode, CommandNode, Expr, ListNode, Node, Number, PipeNode, SmolStr, TemplateNode};

use super::context::{self, At, Kind};
use super::{quoted, Template, TemplateError, TemplateSet, MAX_DEPTH, MAX_OUTPUT, MAX_STEPS, SET_NAME, STACK_BUDGET};
use crate::gotemplate::fmt;
use crate::gotemplate::value::Value;

/// A value and whether Go holds it as an `interface {}` read from a map or list.
#[derive(Clone)]
pub(super) struct Held {
    pub value: Value,
    pub boxed: bool,
}

impl Held {
    pub fn plain(value: Value) -> Held {
        Held { value, boxed: false }
    }

    fn boxed(value: Value) -> Held {
        Held { value, boxed: true }
    }
}

struct Variable {
    name: SmolStr,
    held: Held,
}

/// What a walked node asks of the enclosing `range`.
#[derive(PartialEq)]
enum Flow {
    Next,
    Break,
    Continue,
}

type Result<T> = std::result::Result<T, TemplateError>;

pub(super) struct Run<'s> {
    pub(super) set: &'s TemplateSet,
    /// Definitions made by `tpl` sources being executed, innermost last: they shadow the set's.
    pub(super) overlays: Vec<HashMap<String, Rc<Template>>>,
    vars: Vec<Variable>,
    pub(super) template: Rc<Template>,
    pub(super) at: At,
    depth: usize,
    /// The address of the stack where the run began (stacks grow down).
    stack_base: usize,
    /// Nodes walked and range iterations made so far.
    steps: u64,
    /// Helm's count of nested `include`s per template name.
    pub(super) included: HashMap<String, usize>,
}

impl<'s> Run<'s> {
    pub fn new(set: &'s TemplateSet) -> Run<'s> {
        let marker = 0u8;
        let placeholder = Rc::new(Template {
            name: SET_NAME.into(),
            parse_name: SET_NAME.into(),
            source: "".into(),
            body: ListNode { pos: gotmpl::parse::Pos::new(0, 1), nodes: Vec::new() },
        });
        Run {
            set,
            overlays: Vec::new(),
            vars: Vec::new(),
            template: placeholder,
            at: At::NOTHING,
            depth: 0,
            stack_base: std::ptr::addr_of!(marker) as usize,
            steps: 0,
            included: HashMap::new(),
        }
    }

    /// Executes `template` with dot and `$` set to `data`, in a scope of its own.
    pub(super) fn execute(&mut self, template: Rc<Template>, data: Value, out: &mut String) -> Result<()> {
        self.guard_depth()?;
        let dot = Held::plain(data);
        let vars = std::mem::replace(&mut self.vars, vec![Variable { name: "$".into(), held: dot.clone() }]);
        let caller = std::mem::replace(&mut self.template, template.clone());
        let at = std::mem::replace(&mut self.at, At::NOTHING);
        self.depth += 1;
        let result = self.walk_list(&dot, &template.body, out);
        self.depth -= 1;
        self.vars = vars;
        self.template = caller;
        self.at = at;
        result.map(|_| ())
    }

    /// Go's limit on nested templates, and hldc's on the stack a run may take (nested
    /// control structures and parentheses count too): an untrusted chart's recursion ends in
    /// an error, never in a stack overflow.
    fn guard_depth(&self) -> Result<()> {
        let marker = 0u8;
        let used = self.stack_base.saturating_sub(std::ptr::addr_of!(marker) as usize);
        if self.depth >= MAX_DEPTH || used > STACK_BUDGET {
            return Err(self.error(format!("exceeded maximum template depth ({MAX_DEPTH})")));
        }
        Ok(())
    }

    pub(super) fn lookup(&self, name: &str) -> Option<Rc<Template>> {
        self.overlays.iter().rev().find_map(|overlay| overlay.get(name).cloned()).or_else(|| self.set.lookup(name))
    }

    /// Go's `state.errorf`: the message with where it happened.
    pub(super) fn error(&self, message: impl AsRef<str>) -> TemplateError {
        TemplateError::new(context::describe(&self.template, self.at, message.as_ref()))
    }

    fn at_expr(&mut self, expr: &Expr) {
        self.at = At::expr(expr);
    }

    fn walk_list(&mut self, dot: &Held, list: &ListNode, out: &mut String) -> Result<Flow> {
        for node in &list.nodes {
            let flow = self.walk(dot, node, out)?;
            if flow != Flow::Next {
                return Ok(flow);
            }
        }
        Ok(Flow::Next)
    }

    /// hldc's bound on a run's work and output (Go has none): an untrusted chart's endless
    /// `range` or runaway text ends in an error.
    fn count_step(&mut self, out: &str) -> Result<()> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(self.error(format!("template execution exceeded {MAX_STEPS} steps")));
        }
        if out.len() > MAX_OUTPUT {
            return Err(self.error(format!("template output exceeded {} MiB", MAX_OUTPUT >> 20)));
        }
        Ok(())
    }

    fn walk(&mut self, dot: &Held, node: &Node, out: &mut String) -> Result<Flow> {
        self.count_step(out)?;
        match node {
            Node::Text(text) => out.push_str(&text.text),
            Node::Action(action) => {
                self.at = At { kind: Kind::Action, offset: action.pos.offset };
                let value = self.pipeline(dot, &action.pipe)?;
                if action.pipe.decl.is_empty() {
                    match value {
                        Value::Nil => out.push_str("<no value>"),
                        Value::String(text) => out.push_str(&text),
                        other => fmt::write_in_action(out, &other),
                    }
                }
            }
            Node::If(branch) => return self.if_or_with(dot, branch, false, out),
            Node::With(branch) => return self.if_or_with(dot, branch, true, out),
            Node::Range(range) => return self.range(dot, range, out),
            Node::Template(call) => self.call_template(dot, call, out)?,
            Node::List(list) => return self.walk_list(dot, list, out),
            Node::Define(_) => {}
            Node::Break(_) => return Ok(Flow::Break),
            Node::Continue(_) => return Ok(Flow::Continue),
        }
        Ok(Flow::Next)
    }

    fn if_or_with(&mut self, dot: &Held, branch: &BranchNode, with: bool, out: &mut String) -> Result<Flow> {
        self.guard_depth()?;
        let mark = self.vars.len();
        self.at = At { kind: Kind::Branch, offset: branch.pos.offset };
        let value = self.pipeline(dot, &branch.pipe)?;
        let flow = if value.is_truthy() {
            if with {
                self.walk_list(&Held::plain(value), &branch.body, out)
            } else {
                self.walk_list(dot, &branch.body, out)
            }
        } else if let Some(other) = &branch.else_body {
            self.walk_list(dot, other, out)
        } else {
            Ok(Flow::Next)
        };
        self.vars.truncate(mark);
        flow
    }

    fn range(&mut self, dot: &Held, range: &BranchNode, out: &mut String) -> Result<Flow> {
        self.guard_depth()?;
        let mark = self.vars.len();
        self.at = At { kind: Kind::Branch, offset: range.pos.offset };
        let value = match self.pipeline(dot, &range.pipe)? {
            Value::Object(object) => object.elements().unwrap_or(Value::Object(object)),
            other => other,
        };
        let body_mark = self.vars.len();
        let mut iterated = false;
        let mut each = |run: &mut Self, index: Held, element: Held| -> Result<bool> {
            iterated = true;
            run.count_step(out)?;
            run.set_range_vars(&range.pipe, index, element.clone())?;
            let flow = run.walk_list(&element, &range.body, out);
            run.vars.truncate(body_mark);
            Ok(flow? != Flow::Break)
        };
        match &value {
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if !each(self, Held::plain(Value::Int(i as i64)), Held::boxed(item.clone()))? {
                        break;
                    }
                }
            }
            Value::Map(map) => {
                let entries: Vec<(String, Value)> =
                    map.borrow().iter().map(|(key, item)| (key.clone(), item.clone())).collect();
                for (key, item) in entries {
                    if !each(self, Held::plain(Value::string(key)), Held::boxed(item))? {
                        break;
                    }
                }
            }
            Value::Int(n) => {
                if range.pipe.decl.len() > 1 {
                    return Err(self.error(format!("can't use {n} to iterate over more than one variable")));
                }
                for i in 0..*n {
                    if !each(self, Held::plain(Value::Int(i)), Held::plain(Value::Int(i)))? {
                        break;
                    }
                }
            }
            Value::Nil => {}
            other => return Err(self.error(format!("range can't iterate over {}", fmt::display(other)))),
        }
        let flow = match (&range.else_body, iterated) {
            (Some(other), false) => self.walk_list(dot, other, out).map(|_| Flow::Next),
            _ => Ok(Flow::Next),
        };
        self.vars.truncate(mark);
        flow
    }

    /// Go's range variables: one gets the element; of two, the first gets the index or key.
    fn set_range_vars(&mut self, pipe: &PipeNode, index: Held, element: Held) -> Result<()> {
        match (pipe.decl.len(), pipe.is_assign) {
            (0, _) => {}
            (1, false) => self.set_top(1, element),
            (_, false) => {
                self.set_top(1, element);
                self.set_top(2, index);
            }
            (1, true) => self.assign(&pipe.decl[0], element)?,
            (_, true) => {
                self.assign(&pipe.decl[0], index)?;
                self.assign(&pipe.decl[1], element)?;
            }
        }
        Ok(())
    }

    fn set_top(&mut self, from_top: usize, held: Held) {
        let at = self.vars.len() - from_top;
        self.vars[at].held = held;
    }

    fn assign(&mut self, name: &str, held: Held) -> Result<()> {
        match self.vars.iter_mut().rev().find(|variable| variable.name == name) {
            Some(variable) => {
                variable.held = held;
                Ok(())
            }
            None => Err(self.error(format!("undefined variable: {name}"))),
        }
    }

    fn variable(&self, name: &str) -> Result<Held> {
        match self.vars.iter().rev().find(|variable| variable.name == name) {
            Some(variable) => Ok(variable.held.clone()),
            None => Err(self.error(format!("undefined variable: {name}"))),
        }
    }

    fn call_template(&mut self, dot: &Held, call: &TemplateNode, out: &mut String) -> Result<()> {
        self.at = At { kind: Kind::Template, offset: call.pos.offset };
        let Some(template) = self.lookup(&call.name) else {
            return Err(self.error(format!("template {} not defined", quoted(&call.name))));
        };
        let data = match &call.pipe {
            Some(pipe) => self.pipeline(dot, pipe)?,
            None => Value::Nil,
        };
        self.execute(template, data, out)
    }

    /// Go's evalPipeline: each command's value is the next one's last argument; the result
    /// loses its `interface {}` box; declared variables are pushed, assigned ones set.
    fn pipeline(&mut self, dot: &Held, pipe: &PipeNode) -> Result<Value> {
        self.at = At { kind: Kind::Pipe, offset: pipe.pos.offset };
        let mut value = None;
        for command in &pipe.commands {
            value = Some(self.command(dot, command, value)?.value);
        }
        let value = value.unwrap_or(Value::Nil);
        for name in &pipe.decl {
            if pipe.is_assign {
                self.assign(name, Held::plain(value.clone()))?;
            } else {
                self.vars.push(Variable { name: name.clone(), held: Held::plain(value.clone()) });
            }
        }
        Ok(value)
    }

    fn command(&mut self, dot: &Held, command: &CommandNode, last: Option<Value>) -> Result<Held> {
        let first = &command.args[0];
        let args = &command.args[1..];
        match first {
            Expr::Field(_, fields) => {
                self.at_expr(first);
                self.field_chain(dot, dot.clone(), first, fields, args, last)
            }
            Expr::Chain(_, inner, fields) => {
                let receiver = self.chain_head(dot, first, inner)?;
                self.field_chain(dot, receiver, first, fields, args, last)
            }
            Expr::Identifier(_, name) => {
                self.at_expr(first);
                let whole = At { kind: Kind::Command, offset: command.pos.offset };
                self.call_function(dot, name, At::expr(first), whole, args, last)
            }
            Expr::Pipe(_, pipe) => {
                self.not_a_function(first, args, &last)?;
                Ok(Held::plain(self.pipeline(dot, pipe)?))
            }
            Expr::Variable(_, name, fields) => {
                self.at_expr(first);
                let held = self.variable(name)?;
                if fields.is_empty() {
                    self.not_a_function(first, args, &last)?;
                    return Ok(held);
                }
                self.field_chain(dot, held, first, fields, args, last)
            }
            _ => {
                self.at_expr(first);
                self.not_a_function(first, args, &last)?;
                match first {
                    Expr::Nil(_) => Err(self.error("nil is not a command")),
                    Expr::Dot(_) => Ok(dot.clone()),
                    _ => self.literal(first).map(Held::plain),
                }
            }
        }
    }

    fn not_a_function(&self, first: &Expr, args: &[Expr], last: &Option<Value>) -> Result<()> {
        if args.is_empty() && last.is_none() {
            return Ok(());
        }
        Err(self.error(format!("can't give argument to non-function {}", context::expr_text(&self.template, first))))
    }

    fn literal(&mut self, expr: &Expr) -> Result<Value> {
        self.at_expr(expr);
        match expr {
            Expr::String(_, text) => Ok(Value::String(Rc::from(text.as_ref()))),
            Expr::Bool(_, b) => Ok(Value::Bool(*b)),
            Expr::Number(_, Number::Int(n)) => Ok(Value::Int(*n)),
            Expr::Number(_, Number::Float(f)) => Ok(Value::Float(*f)),
            Expr::Number(pos, Number::Uint(n)) => {
                let text = context::number_text(&self.template.source, pos.offset).unwrap_or_else(|| n.to_string());
                Err(self.error(format!("{text} overflows int")))
            }
            _ => Ok(Value::Nil),
        }
    }

    /// The value a chain's fields are read from: `(pipeline)` or a function's result.
    fn chain_head(&mut self, dot: &Held, chain: &Expr, inner: &Expr) -> Result<Held> {
        self.at_expr(chain);
        if let Expr::Nil(_) = inner {
            return Err(self
                .error(format!("indirection through explicit nil in {}", context::expr_text(&self.template, chain))));
        }
        self.argument(dot, inner).map(Held::plain)
    }

    /// `.A.B.C` from `receiver`; the last field gets the command's arguments (a method call).
    fn field_chain(
        &mut self,
        dot: &Held,
        receiver: Held,
        node: &Expr,
        fields: &[SmolStr],
        args: &[Expr],
        last: Option<Value>,
    ) -> Result<Held> {
        let mut receiver = receiver;
        let (final_field, leading) = fields.split_last().expect("a chain has fields");
        for field in leading {
            receiver = self.field(dot, receiver, field, node, &[], None)?;
        }
        self.field(dot, receiver, final_field, node, args, last)
    }

    /// Go's evalField: a map key, an object's field or method. Errors found before any
    /// argument is evaluated are reported at the node Go last marked: the field chain, or the
    /// last node of a chain's parenthesized head.
    fn field(
        &mut self,
        dot: &Held,
        receiver: Held,
        name: &str,
        node: &Expr,
        args: &[Expr],
        last: Option<Value>,
    ) -> Result<Held> {
        let has_args = !args.is_empty() || last.is_some();
        match &receiver.value {
            Value::Nil if !receiver.boxed => Ok(Held::plain(Value::Nil)),
            Value::Nil => Err(self.error(format!("nil pointer evaluating interface {{}}.{name}"))),
            Value::Map(map) => {
                if has_args {
                    return Err(self.error(format!("{name} is not a method but has arguments")));
                }
                Ok(Held::boxed(map.borrow().get(name).cloned().unwrap_or(Value::Nil)))
            }
            Value::Object(object) => {
                let object = object.clone();
                if !has_args {
                    if let Some(value) = object.field(name) {
                        return Ok(Held::plain(value));
                    }
                }
                let mut argv = Vec::with_capacity(args.len() + 1);
                for arg in args {
                    argv.push(self.argument(dot, arg)?);
                }
                argv.extend(last);
                self.at_expr(node);
                match object.call(name, &argv) {
                    Some(Ok(value)) => Ok(Held::plain(value)),
                    Some(Err(message)) => Err(self.call_error(name, &message)),
                    None if has_args && object.field(name).is_some() => {
                        Err(self.error(format!("{name} has arguments but cannot be invoked as function")))
                    }
                    None => Err(self.error(format!("can't evaluate field {name} in type {}", type_of(&receiver)))),
                }
            }
            _ => Err(self.error(format!("can't evaluate field {name} in type {}", type_of(&receiver)))),
        }
    }

    /// An argument's value (Go's evalArg for an `interface {}` parameter).
    pub(super) fn argument(&mut self, dot: &Held, arg: &Expr) -> Result<Value> {
        self.held_argument(dot, arg).map(|held| held.value)
    }

    /// An argument's value, still boxed when Go's is an `interface {}` from a map or list.
    pub(super) fn held_argument(&mut self, dot: &Held, arg: &Expr) -> Result<Held> {
        self.at_expr(arg);
        match arg {
            Expr::Dot(_) => Ok(dot.clone()),
            Expr::Nil(_) => Ok(Held::plain(Value::Nil)),
            Expr::Field(_, fields) => self.field_chain(dot, dot.clone(), arg, fields, &[], None),
            Expr::Variable(_, name, fields) => {
                let held = self.variable(name)?;
                if fields.is_empty() {
                    return Ok(held);
                }
                self.field_chain(dot, held, arg, fields, &[], None)
            }
            Expr::Pipe(_, pipe) => {
                self.guard_depth()?;
                self.pipeline(dot, pipe).map(Held::plain)
            }
            Expr::Identifier(_, name) => self.call_function(dot, name, At::expr(arg), At::expr(arg), &[], None),
            Expr::Chain(_, inner, fields) => {
                let receiver = self.chain_head(dot, arg, inner)?;
                self.field_chain(dot, receiver, arg, fields, &[], None)
            }
            _ => self.literal(arg).map(Held::plain),
        }
    }
}

/// Go's static type of a field's receiver: `interface {}` when it came out of a map or list.
fn type_of(receiver: &Held) -> String {
    if receiver.boxed {
        "interface {}".into()
    } else {
        receiver.value.type_name()
    }
}
