//! The probe's suite, one binary: `flawed` plants each flaw in a server of its own and the
//! check that looks for it finds it; `conduit` sets the probe up on a Conduit-shaped API as a
//! user would, from its OpenAPI document; `token` is how both servers read a token.

mod conduit;
mod flawed;
mod token;
