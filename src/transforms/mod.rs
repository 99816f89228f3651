//! Pure transforms on canonical arrays (x in nm). The view's display normalization and
//! smoothing call these same functions, so the picture and a recorded step can never
//! disagree. `registry` names every transform, its parameters with units, its version,
//! and applies recorded steps.

pub mod airvac;
pub mod barycentric;
pub mod lsf;
pub mod normalize;
pub mod registry;
pub mod resample;
pub mod savgol;
pub mod velocity;

pub use normalize::{
    Normalization, NormalizeError, normalization_divisor, normalization_divisor_masked,
};
pub use savgol::{SavGol, SavGolError};
