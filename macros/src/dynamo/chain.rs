//! A method chain taken apart and put back: `base.a(..).b(..)` as its base and its calls,
//! each call keeping the user's tokens and spans.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Expr, ExprMethodCall};

pub struct Chain {
    /// What the first call is made on: the guard, or anything else.
    pub base: Expr,
    /// The calls, innermost first; each receiver is a placeholder until `fold`.
    pub calls: Vec<ExprMethodCall>,
}

/// The chain ending in `call`, down to the first receiver that is not a method call.
pub fn split(mut call: ExprMethodCall) -> Chain {
    let mut calls = Vec::new();
    loop {
        let receiver = std::mem::replace(&mut *call.receiver, hole());
        calls.push(call);
        match receiver {
            Expr::MethodCall(inner) => call = inner,
            base => {
                calls.reverse();
                return Chain { base, calls };
            }
        }
    }
}

/// `base` with `calls` made on it in turn.
pub fn fold(base: Expr, calls: impl IntoIterator<Item = ExprMethodCall>) -> Expr {
    calls.into_iter().fold(base, |receiver, mut call| {
        *call.receiver = receiver;
        Expr::MethodCall(call)
    })
}

/// An expression that prints nothing: a receiver taken out, or an expression being replaced.
pub fn hole() -> Expr {
    Expr::Verbatim(TokenStream::new())
}

impl Chain {
    /// The chain as it was.
    pub fn fold(self) -> Expr {
        fold(self.base, self.calls)
    }

    /// The tokens of the base and its first `calls` calls: where an error about them goes.
    pub fn tokens(&self, calls: usize) -> TokenStream {
        let mut tokens = self.base.to_token_stream();
        for call in &self.calls[..calls] {
            call.dot_token.to_tokens(&mut tokens);
            call.method.to_tokens(&mut tokens);
            call.turbofish.to_tokens(&mut tokens);
            call.paren_token
                .surround(&mut tokens, |inner| call.args.to_tokens(inner));
        }
        tokens
    }
}
