//! What the benches share: the median of a sample.

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
