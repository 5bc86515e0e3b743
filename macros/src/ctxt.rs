//! Every error of one expansion, collected before stopping (`Ctxt` of `serde_derive`): a fn with
//! three bad statements shows three errors, each under its own tokens.

use std::cell::RefCell;
use std::fmt::Display;

use quote::ToTokens;

/// The errors found so far. Every stage reports here; [`Ctxt::check`] ends the collection.
pub struct Ctxt {
    // `None` once checked: an error reported after that would be lost.
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Ctxt {
    pub fn new() -> Self {
        Self {
            errors: RefCell::new(Some(Vec::new())),
        }
    }

    /// Reports an error.
    pub fn push(&self, error: syn::Error) {
        self.errors
            .borrow_mut()
            .as_mut()
            .expect("an error reported after the check")
            .push(error);
    }

    /// How many errors have been reported: where [`Ctxt::insert`] puts an error that belongs
    /// at this point of the walk.
    pub fn mark(&self) -> usize {
        self.errors.borrow().as_ref().map_or(0, Vec::len)
    }

    /// Reports an error found later about something the walk met when `mark` errors had been
    /// reported, so the errors read in the order of the source.
    pub fn insert(&self, mark: usize, error: syn::Error) {
        let mut errors = self.errors.borrow_mut();
        let errors = errors.as_mut().expect("an error reported after the check");
        errors.insert(mark.min(errors.len()), error);
    }

    /// Reports `message` under `tokens`.
    pub fn spanned(&self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// Every error reported, combined into one.
    pub fn check(self) -> Result<(), syn::Error> {
        let errors = self.errors.take().expect("checked twice");
        match errors.into_iter().reduce(|mut all, e| {
            all.combine(e);
            all
        }) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        // An unchecked context would drop its errors, and the fn would compile unguarded.
        assert!(
            std::thread::panicking() || self.errors.borrow().is_none(),
            "errors were collected and never checked"
        );
    }
}
