//! The Wycheproof JSON Web Signature vectors through the verifier's signature layer.
//!
//! Each group's JWK becomes a verifier through the public builder (`jwk_set`), exactly as an
//! application would load it. The vectors' payloads are not JWT claims (`foo`, empty, binary),
//! so the test calls `Verifier::signature_layer` (test builds only): the very code
//! `Verifier::verify` runs, up to and including the signature, without the claim rules after
//! it. Every `invalid` case must be refused and every `valid` case whose algorithm we support
//! accepted, except the cases in `DEVIATIONS`, each of which the test proves is what it says.
//! The vector file is required: without it the test fails.
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::{Alg, Verifier};

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/wycheproof/json_web_signature_test.json"
);

/// Where our verdict differs from the label, on purpose.
const DEVIATIONS: &[(u64, &str)] = &[
    (
        346,
        "labelled valid; signed PS384 with a key whose JWK pins PS256: one algorithm per key",
    ),
    (
        350,
        "labelled valid; signed PS384 with a key whose JWK pins PS256: one algorithm per key",
    ),
    (
        367,
        "labelled invalid; byte-identical to tcId 357, which is labelled valid (vector defect)",
    ),
    (
        370,
        "labelled invalid; byte-identical to tcId 357, which is labelled valid (vector defect)",
    ),
    (
        372,
        "labelled valid; `?` inside the header segment is not base64url (RFC 7515 §2)",
    ),
    (
        373,
        "labelled valid; `?` inside the payload segment is not base64url (RFC 7515 §2)",
    ),
];

#[derive(Default)]
struct Tally {
    accepted: usize,
    refused: usize,
    skipped: usize,
}

#[test]
fn wycheproof_json_web_signature() {
    let text = std::fs::read_to_string(VECTORS).unwrap_or_else(|e| {
        panic!("the Wycheproof vectors are required at {VECTORS}: {e}");
    });
    let file: Value = serde_json::from_str(&text).expect("vector file is JSON");
    let groups = file["testGroups"].as_array().expect("testGroups");
    let by_id = all_tokens(groups);

    let mut tally: BTreeMap<String, Tally> = BTreeMap::new();
    let mut deviations = BTreeSet::new();
    let mut unexpected = Vec::new();
    let mut seen = 0;
    for group in groups {
        let jwk = group.get("public").unwrap_or(&group["private"]);
        let label = jwk["alg"].as_str().map_or_else(
            || format!("{} (no alg)", jwk["kty"].as_str().unwrap_or("?")),
            str::to_owned,
        );
        let set = json!({ "keys": [jwk] }).to_string();
        let verifier = Verifier::builder()
            .jwk_set(&set)
            .and_then(super::VerifierBuilder::build);
        for case in group["tests"].as_array().expect("tests") {
            seen += 1;
            let id = case["tcId"].as_u64().expect("tcId");
            let valid = case["result"] == "valid";
            // A token in the JSON serialization is handed over as its text, as a header would.
            let token = case["jws"]
                .as_str()
                .map_or_else(|| case["jws"].to_string(), str::to_owned);
            let count = tally.entry(label.clone()).or_default();
            if valid && !supported(&token) {
                count.skipped += 1;
                assert!(verifier.is_err(), "tcId {id}: a key we cannot use loaded");
                continue;
            }
            let accepted = verifier
                .as_ref()
                .is_ok_and(|v| v.signature_layer(&token).is_ok());
            if accepted {
                count.accepted += 1;
            } else {
                count.refused += 1;
            }
            if accepted != valid {
                if DEVIATIONS.iter().any(|(d, _)| *d == id) {
                    deviations.insert(id);
                } else {
                    unexpected.push(format!(
                        "tcId {id} ({}): {}",
                        case["comment"], case["result"]
                    ));
                }
            }
        }
    }

    println!("Wycheproof JWS, by the key's alg: accepted / refused / skipped (unsupported alg)");
    for (alg, t) in &tally {
        println!(
            "  {alg:<14} {:>3} / {:>3} / {:>3}",
            t.accepted, t.refused, t.skipped
        );
    }
    let total = |f: fn(&Tally) -> usize| tally.values().map(f).sum::<usize>();
    let (accepted, refused, skipped) = (
        total(|t| t.accepted),
        total(|t| t.refused),
        total(|t| t.skipped),
    );
    println!(
        "  {:<14} {accepted:>3} / {refused:>3} / {skipped:>3}",
        "total"
    );
    for (id, why) in DEVIATIONS {
        println!("  deviation tcId {id}: {why}");
    }

    assert!(
        unexpected.is_empty(),
        "verdicts differ from the labels: {unexpected:#?}"
    );
    let expected: BTreeSet<u64> = DEVIATIONS.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        deviations, expected,
        "every listed deviation must still occur"
    );
    assert_eq!(
        seen,
        usize::try_from(file["numberOfTests"].as_u64().expect("numberOfTests")).expect("fits")
    );
    assert_eq!((accepted, refused, skipped), (42, 357, 2), "counts changed");

    deviations_are_what_they_claim(&by_id);
}

/// The deviations are what `DEVIATIONS` says they are.
fn deviations_are_what_they_claim(by_id: &BTreeMap<u64, String>) {
    for id in [367, 370] {
        assert_eq!(by_id[&id], by_id[&357], "tcId {id} is tcId 357's token");
    }
    for id in [372, 373] {
        assert!(
            by_id[&id].contains('?'),
            "tcId {id} carries a non-base64url byte"
        );
    }
    for id in [346, 350] {
        assert!(
            header_alg(&by_id[&id]) == Some("PS384".to_owned()),
            "tcId {id} is PS384"
        );
    }
}

/// Whether we verify the algorithm the token's header names (an unreadable header is ours to
/// refuse, not a reason to skip).
fn supported(token: &str) -> bool {
    header_alg(token).is_none_or(|alg| Alg::from_name(&alg).is_some())
}

fn header_alg(token: &str) -> Option<String> {
    use base64::Engine;
    let header = token.split('.').next()?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()?;
    let header: Value = serde_json::from_slice(&json).ok()?;
    header["alg"].as_str().map(str::to_owned)
}

fn all_tokens(groups: &[Value]) -> BTreeMap<u64, String> {
    groups
        .iter()
        .flat_map(|g| g["tests"].as_array().into_iter().flatten())
        .filter_map(|t| Some((t["tcId"].as_u64()?, t["jws"].as_str()?.to_owned())))
        .collect()
}
