//! The executor methods a guarded site runs its statement with: the one list of them. The
//! runtime settles each method's result with the kind of the same name in
//! `guarded::__private::exec`; a method missing there fails to compile in every expansion that
//! uses it, so the two lists cannot drift apart.

/// An executor method of a guarded site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exec {
    Execute,
    /// A stream: it has no end result to settle, so it cannot run a statement whose zero
    /// rows deny.
    Fetch,
    FetchOne,
    FetchOptional,
    FetchAll,
}

impl Exec {
    const ALL: [Self; 5] = [
        Self::Execute,
        Self::Fetch,
        Self::FetchOne,
        Self::FetchOptional,
        Self::FetchAll,
    ];

    /// The method called `name`, if a guarded site can run with it.
    pub fn named(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|exec| exec.name() == name)
    }

    /// The method's name, as sqlx spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Execute => "execute",
            Self::Fetch => "fetch",
            Self::FetchOne => "fetch_one",
            Self::FetchOptional => "fetch_optional",
            Self::FetchAll => "fetch_all",
        }
    }

    /// The runtime's kind that settles the method's result; `None` for a stream.
    pub fn kind(self) -> Option<&'static str> {
        match self {
            Self::Execute => Some("Execute"),
            Self::Fetch => None,
            Self::FetchOne => Some("FetchOne"),
            Self::FetchOptional => Some("FetchOptional"),
            Self::FetchAll => Some("FetchAll"),
        }
    }

    /// Every method's name, for messages: "`.execute`, `.fetch`, ... or `.fetch_all`".
    pub fn listed() -> String {
        let names: Vec<String> = Self::ALL
            .iter()
            .map(|exec| format!("`.{}`", exec.name()))
            .collect();
        let (last, rest) = names.split_last().expect("methods");
        format!("{} or {last}", rest.join(", "))
    }
}
