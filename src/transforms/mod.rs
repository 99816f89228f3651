//! Pure transforms on canonical arrays. The view's display normalization and smoothing
//! call these same functions, so the picture and a recorded step can never disagree.

pub mod normalize;
pub mod savgol;

pub use normalize::{Normalization, NormalizeError, normalization_divisor};
pub use savgol::{SavGol, SavGolError};
