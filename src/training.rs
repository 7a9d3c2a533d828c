//! Training models with gradus: a guide for PyTorch users.
//!
//! This page maps the pieces of a PyTorch training loop to gradus: the optimizer over a model's
//! tensors, parameter groups, learning-rate schedulers, gradient clipping, checkpoints, and the
//! loop's own training features (epochs, validation, early stopping, resuming).
//!
//! # At a glance
//!
//! | PyTorch | gradus |
//! | --- | --- |
//! | `torch.optim.AdamW(model.parameters(), lr=1e-3)` | [`ParameterSet::new`]`(AdamConfig { lr: 1e-3, ..AdamConfig::adamw() })` |
//! | `param_groups=[{"params": biases, "weight_decay": 0}]` | [`.group(positions, config)`](ParameterSet::group) |
//! | `optimizer.param_groups[g]["lr"] = v` | [`set_group_config`](ParameterSet::set_group_config) |
//! | `loss.backward(); optimizer.step()` | your backward pass fills gradient arrays; [`step`](ParameterSet::step)`(&mut tensors, &grads)` |
//! | `LambdaLR`, `SequentialLR(LinearLR, CosineAnnealingLR)` | any [`Schedule`](crate::Schedule) built with base value `1`, passed to [`step_scaled`](ParameterSet::step_scaled) |
//! | `clip_grad_norm_(params, max_norm)` | [`clip_grad_norm`](crate::params::clip_grad_norm) (returns the norm before clipping) |
//! | `clip_grad_value_` | [`clip_grad_value`](crate::params::clip_grad_value) |
//! | `torch.save(optimizer.state_dict())`, `load_state_dict` | `checkpoint::save(path, &set)`, `checkpoint::load(path)` (`serde` feature) |
//! | one optimizer per flat vector | [`Adam`](crate::Adam) and friends: [`Optimizer::step`](crate::Optimizer::step) on one 1-D view |
//!
//! # One optimizer, many tensors
//!
//! A [`ParameterSet`] holds one elementwise rule (SGD, momentum, Adam, AdamW, AMSGrad, NAdam,
//! RAdam, RMSProp, AdaGrad, Adamax, Adadelta, ADOPT, COCOB, DoG, DoWG, schedule-free SGD and
//! AdamW) and a state per tensor; for the schedule-free rules, evaluate the model at
//! [`evaluation_point`](ParameterSet::evaluation_point), not at the tensors stepped. PyTorch's
//! optimizer keeps references to the parameters; in Rust the model owns its arrays, so they are
//! given at each step, as two lists in the same order every time: the tensors as `ArrayViewMutD`,
//! and their gradients as `ArrayViewD` of the same shapes. `view_mut().into_dyn()` turns any
//! ndarray of any dimension into such a view without allocating (up to four dimensions), so the
//! lists are built on the stack at each step:
//!
//! ```
//! use gradus::optim::AdamConfig;
//! use gradus::params::ParameterSet;
//! use ndarray::{Array1, Array2};
//!
//! struct Linear { w: Array2<f64>, b: Array1<f64> }
//! let mut model = Linear { w: Array2::ones((2, 3)), b: Array1::zeros(2) };
//! let mut grads = Linear { w: Array2::from_elem((2, 3), 0.5), b: Array1::from_elem(2, -1.0) };
//! let mut opt = ParameterSet::new(AdamConfig { lr: 1e-2, ..AdamConfig::adamw() })?
//!     .group([1], AdamConfig { lr: 1e-2, weight_decay: 0.0, ..AdamConfig::adamw() })?;
//! opt.step(
//!     &mut [model.w.view_mut().into_dyn(), model.b.view_mut().into_dyn()],
//!     &[grads.w.view().into_dyn(), grads.b.view().into_dyn()],
//! )?;
//! assert!(model.w[[0, 0]] < 1.0 && model.b[0] > 0.0);
//! # let _ = &mut grads;
//! # Ok::<(), gradus::Error>(())
//! ```
//!
//! What to expect:
//!
//! - **The same numbers.** Each tensor is updated exactly as the rule alone would update it
//!   (flattened in row-major order), and the rules give PyTorch's iterates. Tensors and
//!   gradients may be in any memory layout (transposed, column-major); non-contiguous ones go
//!   through a copy kept by the set.
//! - **Errors, not surprises.** The number of tensors and each tensor's shape are fixed by the
//!   first step: a tensor that changes shape, a gradient of another shape, a missing tensor, a
//!   group naming a tensor that does not exist, a tensor in two groups, are typed errors that
//!   name the tensor and the fix, and leave everything as it was. [`reset`](ParameterSet::reset)
//!   starts over.
//! - **Speed.** No allocation after the first step; sets above 2^18 values in all are spread
//!   over all cores, by tensors and within large tensors. One step over 100 tensors of 10^5
//!   values takes as long as one step over a single vector of 10^7 (`cargo bench --bench
//!   parameter_sets`); many tiny tensors cost more per value than one long vector (each tensor
//!   is a call of the rule's loop, with its per-step scalars).
//!
//! # Schedules
//!
//! PyTorch's schedulers scale each group's initial learning rate. Here a schedule built with
//! base value `1` gives that factor, and [`step_scaled`](ParameterSet::step_scaled) multiplies
//! every group's `lr` by it: `LinearWarmup::from_factor(CosineAnnealing::new(1.0, T, 0.0)?, w,
//! 0.1)?` is warmup then cosine decay, as `SequentialLR(LinearLR, CosineAnnealingLR)`.
//!
//! # Checkpoints
//!
//! With the `serde` feature, every rule, schedule, parameter set and the loop's
//! [`RunState`](crate::RunState) implement `Serialize` and `Deserialize`. The
//! `gradus::checkpoint` module writes one value (a tuple, or a struct of your own
//! holding the model, the optimizer, the schedule and your loop's counters) to a file: atomic
//! (written then renamed), checked (signature, format version, the type's name, a checksum), and
//! exact (floats in binary), so that training resumed from a checkpoint gives the bits of the
//! run that never stopped.
//!
//! # Training with the loop
//!
//! When the model is one vector and the loss a [`FiniteSum`](crate::FiniteSum), the
//! [`Minimizer`](crate::Minimizer) runs the training loop itself:
//!
//! - `.minibatch(Minibatch { batch_size, sampling, seed, .. })` draws shuffled minibatches
//!   (PyTorch's `DataLoader(shuffle=True)`), or SVRG and SAGA estimates;
//! - `.max_epochs(n)` alone bounds the run (no hidden iteration cap); criteria that need the full
//!   loss or gradient are refused on a minibatch run unless full checks are on;
//! - observers see the epoch and the epoch's mean minibatch loss, and need no type annotation;
//! - `.validation(every, |x| loss)` and `.early_stopping(patience, min_delta)` stop when the
//!   held-out loss stops improving, and the report keeps the best iterate
//!   ([`Report::best`](crate::Report::best)) as well as the last;
//! - `resume` continues a run (rule state, sampler, counters) where it stopped, bit for bit, and
//!   [`RunState`](crate::RunState) can be taken out, saved, and put into another `Minimizer`.

#[cfg(doc)]
use crate::params::ParameterSet;
