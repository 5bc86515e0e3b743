//! What the benches share: their settings from the environment, the statistics they print
//! (medians of per-round ratios with their range) and the machine's load beside them.

/// The median of `samples`: the middle one, or the mean of the two middle ones.
pub fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    let mid = samples.len() / 2;
    if samples.len().is_multiple_of(2) {
        f64::midpoint(samples[mid - 1], samples[mid])
    } else {
        samples[mid]
    }
}

/// The median of `samples`, their minimum and their maximum.
pub fn spread(samples: Vec<f64>) -> (f64, f64, f64) {
    let low = samples.iter().copied().fold(f64::INFINITY, f64::min);
    let high = samples.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (median(samples), low, high)
}

/// `spread` as a bench prints it: `0.981 (0.702-1.412)`.
pub fn spread_text(samples: Vec<f64>) -> String {
    let (median, low, high) = spread(samples);
    format!("{median:.3} ({low:.3}-{high:.3})")
}

/// The number in the variable `name`, else `default`.
pub fn var(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Whether the bench runs in full (`cargo bench` passes `--bench`), rather than as the
/// one-round smoke test `cargo test --benches` runs.
pub fn full() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// Rounds and calls per round of a sequential bench: `GUARDED_BENCH_ROUNDS` and
/// `GUARDED_BENCH_CALLS` (else `rounds` and `calls`) in full, one round of 10 calls as a smoke
/// test.
pub fn rounds_and_calls(rounds: u64, calls: u64) -> (usize, usize) {
    let (rounds, calls) = if full() {
        (
            var("GUARDED_BENCH_ROUNDS", rounds),
            var("GUARDED_BENCH_CALLS", calls),
        )
    } else {
        (1, 10)
    };
    let count = |n: u64| usize::try_from(n).expect("a count");
    (count(rounds), count(calls))
}

/// The machine's load average over 1, 5 and 15 minutes, where Linux tells it: printed beside
/// every ratio, which a busy machine moves.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".to_owned(),
        |l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_ranges() {
        assert!((median(vec![3.0, 1.0, 2.0]) - 2.0).abs() < f64::EPSILON);
        assert!((median(vec![4.0, 1.0, 2.0, 3.0]) - 2.5).abs() < f64::EPSILON);
        assert_eq!(spread(vec![0.9, 1.2, 1.0]), (1.0, 0.9, 1.2));
        assert_eq!(spread_text(vec![0.5, 1.5, 1.0]), "1.000 (0.500-1.500)");
    }
}
