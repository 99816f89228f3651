//! The calibration banner: for each visible trace, the chain of step records from its
//! input to it, summarised from the typed steps (not from kind strings or raw JSON).

use serde::Serialize;

use crate::ids::DatasetId;
use crate::transforms::registry::{Step, StepRecord};
use crate::view::BannerLine;

/// The serde name of a unit-like enum (`heliocentric`, `gaussian`, `vacuum`), as the
/// step's JSON writes it.
fn serde_name<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
}

/// The banner line of a trace: its chain of records, walked back from the trace to its
/// input (first parent), summarised. `None` for an input with no steps.
pub fn banner_line(records: &[StepRecord], id: &DatasetId) -> Option<BannerLine> {
    let mut chain: Vec<&StepRecord> = Vec::new();
    let mut current = id;
    while let Some(r) = records.iter().rev().find(|r| &r.output_id == current) {
        chain.push(r);
        match r.parent_ids.first() {
            Some(p) if chain.len() <= records.len() => current = p,
            _ => break,
        }
    }
    if chain.is_empty() {
        return None;
    }
    chain.reverse();
    let mut line = BannerLine {
        dataset_id: id.clone(),
        steps: chain.iter().map(|r| r.kind.clone()).collect(),
        kernel: None,
        target_fwhm_nm: None,
        target_resolving_power: None,
        frame: None,
        rv_kms: None,
        rv_correction_kms: None,
        medium: None,
    };
    for r in chain {
        match r.step() {
            Some(Step::AirvacConvert(p)) => line.medium = serde_name(&p.to),
            Some(Step::VelocityShift(p)) => {
                line.frame = serde_name(&p.frame);
                line.rv_kms = Some(line.rv_kms.unwrap_or(0.0) + p.rv_kms);
                if let Some(c) = r.rv_correction_m_per_s() {
                    line.rv_correction_kms =
                        Some(line.rv_correction_kms.unwrap_or(0.0) + c / 1000.0);
                }
            }
            Some(Step::LsfConvolve(p)) => {
                line.kernel = serde_name(&p.kernel);
                line.target_fwhm_nm = p.fwhm_nm;
                line.target_resolving_power = p.resolving_power;
            }
            _ => {}
        }
    }
    Some(line)
}
