//! Reporting while compiling: every problem becomes a [`Diagnostic`] at its place, and every
//! error hands back a [`Reported`], the only way a compile step may give up.

use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};
use marked_yaml::{Node, Span};

use super::{CompileError, Compiler};
use crate::diagnostic::{Diagnostic, Level, Location, Problem};

/// Proof that an error was reported. Only the reporting methods below make one, so a step
/// that fails without a diagnostic does not type-check: a policy cannot lose a rule silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reported(());

/// The result of a compile step: its value, or the proof that it reported why not.
pub(crate) type Compiles<T> = Result<T, Reported>;

/// The outcome of several steps that report their own errors: compiling goes on past a step
/// that failed, so that every problem is reported at once, and fails at the end if one did.
#[derive(Debug, Default)]
pub(crate) struct Failures(Option<Reported>);

impl Failures {
    /// The step's value, or `None` after noting that it failed.
    pub(crate) fn note<T>(&mut self, step: Compiles<T>) -> Option<T> {
        match step {
            Ok(value) => Some(value),
            Err(reported) => {
                self.0 = Some(reported);
                None
            }
        }
    }

    /// Notes a failure that was reported already.
    pub(crate) fn add(&mut self, reported: Reported) {
        self.0 = Some(reported);
    }

    /// `value`, if no step failed.
    pub(crate) fn finish<T>(self, value: impl FnOnce() -> T) -> Compiles<T> {
        match self.0 {
            Some(reported) => Err(reported),
            None => Ok(value()),
        }
    }
}

/// How many errors had been reported at some point, to tell whether any came after.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ErrorMark(usize);

impl Compiler<'_> {
    /// Reports an error at a node: a scalar spans its text, a mapping its first key.
    pub(crate) fn error_at(&mut self, node: &Node, problem: CompileError) -> Reported {
        let location = match node {
            Node::Scalar(scalar) => self.scalar_location(scalar),
            Node::Mapping(map) => self.mapping_location(map),
            Node::Sequence(list) => self.location(list.span(), 1),
        };
        self.error_at_location(location, problem)
    }

    pub(crate) fn error_at_key(
        &mut self,
        key: &MarkedScalarNode,
        problem: CompileError,
    ) -> Reported {
        let location = self.scalar_location(key);
        self.error_at_location(location, problem)
    }

    pub(crate) fn error_at_map(
        &mut self,
        map: &MarkedMappingNode,
        problem: CompileError,
    ) -> Reported {
        let location = self.mapping_location(map);
        self.error_at_location(location, problem)
    }

    pub(crate) fn error_at_span(
        &mut self,
        span: &Span,
        length: usize,
        problem: CompileError,
    ) -> Reported {
        let location = self.location(span, length);
        self.error_at_location(location, problem)
    }

    pub(crate) fn error_at_location(
        &mut self,
        location: Option<Location>,
        problem: impl Into<Problem>,
    ) -> Reported {
        self.push(Level::Error, location, problem);
        Reported(())
    }

    pub(crate) fn warn(&mut self, span: &Span, length: usize, problem: CompileError) {
        let location = self.location(span, length);
        self.push(Level::Warning, location, problem);
    }

    pub(crate) fn warn_at_location(&mut self, location: Option<Location>, problem: CompileError) {
        self.push(Level::Warning, location, problem);
    }

    fn push(&mut self, level: Level, location: Option<Location>, problem: impl Into<Problem>) {
        self.diagnostics.push(Diagnostic {
            level,
            location,
            problem: problem.into(),
        });
    }

    /// The proof that `key` was reported as an unknown key of the source being compiled, if it
    /// was.
    pub(crate) fn reported_unknown_key(&self, key: &str) -> Option<Reported> {
        self.diagnostics
            .iter()
            .any(|d| {
                d.level == Level::Error
                    && d.location.is_some_and(|at| at.source == self.source)
                    && matches!(&d.problem, Problem::Compile(CompileError::UnknownKey { key: k, .. }) if k == key)
            })
            .then_some(Reported(()))
    }

    /// Marks how many errors have been reported so far.
    pub(crate) fn error_mark(&self) -> ErrorMark {
        ErrorMark(self.error_count())
    }

    /// Fails when an error was reported since `mark`, such as an unknown key, which leaves
    /// every value readable but the policy wrong.
    pub(crate) fn errors_since(&self, mark: ErrorMark) -> Compiles<()> {
        if self.error_count() > mark.0 {
            Err(Reported(()))
        } else {
            Ok(())
        }
    }

    fn error_count(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.level == Level::Error)
            .count()
    }

    /// A scalar's place, spanning its quotes when it has them.
    pub(crate) fn scalar_location(&self, scalar: &MarkedScalarNode) -> Option<Location> {
        let mut location = self.location(scalar.span(), scalar.as_str().chars().count())?;
        let first = self
            .sources
            .line(self.source, location.line)
            .and_then(|line| line.chars().nth(location.column.saturating_sub(1)));
        if matches!(first, Some('"' | '\'')) {
            location.length += 2;
        }
        Some(location)
    }

    /// A mapping's place: its first key, which is where a reader looks for the entry.
    fn mapping_location(&self, map: &MarkedMappingNode) -> Option<Location> {
        match map.keys().next() {
            Some(key) => self.location(key.span(), key.as_str().chars().count()),
            None => self.location(map.span(), 1),
        }
    }

    pub(crate) fn location(&self, span: &Span, length: usize) -> Option<Location> {
        span.start().map(|m| Location {
            source: self.source,
            line: m.line(),
            column: m.column(),
            length: length.max(1),
        })
    }
}
