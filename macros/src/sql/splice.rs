//! The statement that runs: the user's text byte for byte, plus insertions at offsets the
//! lexer and parser reported. Nothing the user wrote is printed again, so strings, escapes,
//! comments and dialect quirks reach the database exactly as written.

/// One piece of inserted text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    /// The subject's placeholder.
    Subject,
    /// Another claim's placeholder, and its text.
    Claim(super::Claim, String),
}

/// Insertions into one statement's text.
#[derive(Debug, Default)]
pub struct Edits {
    /// (offset, pieces), in the order they were made: at one offset, the earlier comes first.
    inserts: Vec<(usize, Vec<Piece>)>,
}

/// The spliced statement.
#[derive(Debug)]
pub struct Spliced {
    pub sql: String,
    /// Byte offsets of the subject's placeholders in `sql`.
    pub subjects: Vec<usize>,
    /// Byte offsets of the other claims' placeholders in `sql`.
    pub claims: Vec<(usize, super::Claim)>,
}

impl Edits {
    pub fn insert(&mut self, at: usize, pieces: Vec<Piece>) {
        self.inserts.push((at, pieces));
    }

    pub fn text(&mut self, at: usize, text: impl Into<String>) {
        self.insert(at, vec![Piece::Text(text.into())]);
    }

    /// Where an offset of the original text lands in the spliced one: after every insertion
    /// made at or before it.
    pub fn shifted(&self, offset: usize, subject: &str) -> usize {
        offset
            + self
                .inserts
                .iter()
                .filter(|(at, _)| *at <= offset)
                .map(|(_, pieces)| len(pieces, subject))
                .sum::<usize>()
    }

    /// Applies the insertions to `text`; `subject` is the placeholder text of the subject.
    pub fn apply(&self, text: &str, subject: &str) -> Spliced {
        let mut order: Vec<usize> = (0..self.inserts.len()).collect();
        // Stable: insertions at one offset keep the order they were made in.
        order.sort_by_key(|i| self.inserts[*i].0);
        let mut sql = String::with_capacity(text.len() + 64);
        let mut subjects = Vec::new();
        let mut claims = Vec::new();
        let mut copied = 0;
        for i in order {
            let (at, pieces) = &self.inserts[i];
            sql.push_str(&text[copied..*at]);
            copied = *at;
            for piece in pieces {
                match piece {
                    Piece::Text(t) => sql.push_str(t),
                    Piece::Subject => {
                        subjects.push(sql.len());
                        sql.push_str(subject);
                    }
                    Piece::Claim(claim, text) => {
                        claims.push((sql.len(), claim.clone()));
                        sql.push_str(text);
                    }
                }
            }
        }
        sql.push_str(&text[copied..]);
        Spliced {
            sql,
            subjects,
            claims,
        }
    }

    /// Removes the insertions from a spliced text: the property tests' inverse of `apply`.
    #[cfg(test)]
    pub fn unapply(&self, spliced: &str, subject: &str) -> String {
        let mut order: Vec<usize> = (0..self.inserts.len()).collect();
        order.sort_by_key(|i| self.inserts[*i].0);
        let mut out = String::new();
        let mut at_spliced = 0;
        let mut at_original = 0;
        for i in order {
            let (at, pieces) = &self.inserts[i];
            let keep = at - at_original;
            out.push_str(&spliced[at_spliced..at_spliced + keep]);
            at_spliced += keep + len(pieces, subject);
            at_original = *at;
        }
        out.push_str(&spliced[at_spliced..]);
        out
    }
}

fn len(pieces: &[Piece], subject: &str) -> usize {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Text(t) | Piece::Claim(_, t) => t.len(),
            Piece::Subject => subject.len(),
        })
        .sum()
}
