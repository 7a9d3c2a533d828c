//! A small neural network trained with hand-written backpropagation: a multilayer perceptron
//! 64 -> 32 (tanh) -> 10 (softmax, cross-entropy) on the `digits` data set (1797 handwritten
//! digits of 8 x 8 pixels, `data/digits.csv`), split at random with a fixed seed into 60 %
//! training, 20 % validation and 20 % test examples.
//!
//! It shows the pieces of a training loop as PyTorch users write it:
//!
//! - one [`ParameterSet`] with AdamW over every tensor of the model (two weight matrices, two
//!   bias vectors), the biases in a group of their own without weight decay;
//! - minibatches of 64 over an epoch shuffled anew each time;
//! - a linear warmup then cosine decay of the learning rate, used as a factor of every group's
//!   rate ([`ParameterSet::step_scaled`], PyTorch's `LambdaLR`);
//! - clipping of the gradients by their global norm ([`clip_grad_norm`]);
//! - early stopping on the validation loss, keeping the best parameters;
//! - a checkpoint written after epoch 10 ([`gradus::checkpoint::save`]), read back into fresh
//!   objects and trained on: the resumed run ends with the same bits as the uninterrupted one.
//!
//! Each epoch prints the schedule's factor at its last step, the mean training loss over its
//! minibatches, the validation loss and accuracy, and the mean norm of the gradients before
//! clipping; the end, the test accuracy of the best parameters.
//!
//! `cargo run --release --example mlp --features serde`

use std::error::Error;
use std::path::Path;
use std::time::Instant;

use gradus::checkpoint::{load, save, to_bytes};
use gradus::optim::AdamConfig;
use gradus::params::{ParameterSet, clip_grad_norm};
use gradus::schedule::{CosineAnnealing, LinearWarmup, Schedule};
use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2, Axis, Zip, s};
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

const FEATURES: usize = 64;
const HIDDEN: usize = 32;
const CLASSES: usize = 10;
const BATCH: usize = 64;
const MAX_EPOCHS: usize = 60;
const WARMUP_EPOCHS: usize = 2;
/// Epochs without a better validation loss before training stops.
const PATIENCE: usize = 8;
const CHECKPOINT_EPOCH: usize = 10;
const LR: f32 = 1e-2;
const MAX_GRAD_NORM: f32 = 1.0;
const SEED: u64 = 2026;

/// Step-size factor: linear warmup from 0.1 to 1, then cosine decay to 0.
type Factor = LinearWarmup<f32, CosineAnnealing<f32>>;
/// AdamW over the model's tensors.
type AdamW = ParameterSet<AdamConfig<f32>>;

/// Examples (one per row, pixels scaled to [0, 1]) and their digits.
struct Split {
    x: Array2<f32>,
    y: Vec<usize>,
}

/// The network: `p = softmax(tanh(x W1 + b1) W2 + b2)` for a row `x` of pixels.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Mlp {
    w1: Array2<f32>,
    b1: Array1<f32>,
    w2: Array2<f32>,
    b2: Array1<f32>,
}

/// The gradients of the loss with respect to each tensor of an [`Mlp`].
struct Gradients {
    w1: Array2<f32>,
    b1: Array1<f32>,
    w2: Array2<f32>,
    b2: Array1<f32>,
}

/// Buffers of one minibatch, allocated once.
struct Workspace {
    x: Array2<f32>,
    y: Vec<usize>,
    /// Hidden activations `tanh(x W1 + b1)`.
    h: Array2<f32>,
    /// Logits, then probabilities, then the gradient with respect to the logits.
    p: Array2<f32>,
    /// Gradient with respect to the hidden pre-activations.
    dh: Array2<f32>,
}

/// Early stopping on the validation loss.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct EarlyStopping {
    best_loss: f32,
    best_epoch: usize,
    best: Mlp,
    epochs_since_best: usize,
}

/// Everything that changes while training: what a checkpoint holds.
struct Training {
    model: Mlp,
    adamw: AdamW,
    factor: Factor,
    rng: Xoshiro256PlusPlus,
    stopping: EarlyStopping,
    /// Epochs completed.
    epoch: usize,
}

/// What one epoch measured.
struct EpochReport {
    factor: f32,
    train_loss: f32,
    mean_grad_norm: f32,
    val_loss: f32,
    val_accuracy: f32,
}

fn main() -> Result<(), Box<dyn Error>> {
    let start = Instant::now();
    let (train, val, test) = digits()?;
    println!(
        "digits: {} training, {} validation, {} test examples; MLP {FEATURES} -> {HIDDEN} (tanh) \
         -> {CLASSES}, AdamW lr {LR}, batch {BATCH}, clip {MAX_GRAD_NORM}, patience {PATIENCE}\n",
        train.y.len(),
        val.y.len(),
        test.y.len()
    );
    let steps_per_epoch = train.y.len().div_ceil(BATCH);
    let mut ws = Workspace::new();
    let mut grads = Gradients::zeros();
    let path = std::env::temp_dir().join(format!("gradus-mlp-{}.ckpt", std::process::id()));

    // The uninterrupted run, which writes a checkpoint after epoch CHECKPOINT_EPOCH.
    println!(
        "{:>5}  {:>9}  {:>10}  {:>8}  {:>7}  {:>9}",
        "epoch", "lr factor", "train loss", "val loss", "val acc", "grad norm"
    );
    let mut run = Training::new(steps_per_epoch)?;
    while run.epoch < MAX_EPOCHS {
        let report = run.epoch(&train, &val, &mut ws, &mut grads)?;
        println!(
            "{:>5}  {:>9.4}  {:>10.4}  {:>8.4}  {:>6.2}%  {:>9.3}",
            run.epoch,
            report.factor,
            report.train_loss,
            report.val_loss,
            100.0 * report.val_accuracy,
            report.mean_grad_norm
        );
        if run.epoch == CHECKPOINT_EPOCH {
            run.save(&path)?;
            println!(
                "       checkpoint saved ({} bytes)",
                std::fs::metadata(&path)?.len()
            );
        }
        if run.stopping.epochs_since_best >= PATIENCE {
            println!(
                "early stop: no better validation loss for {PATIENCE} epochs; best {:.4} at \
                 epoch {}",
                run.stopping.best_loss, run.stopping.best_epoch
            );
            break;
        }
    }

    // The same run, resumed from the checkpoint in fresh objects.
    let mut resumed = Training::load(&path)?;
    std::fs::remove_file(&path)?;
    println!("\nresumed from the checkpoint of epoch {}", resumed.epoch);
    while resumed.epoch < MAX_EPOCHS {
        resumed.epoch(&train, &val, &mut ws, &mut grads)?;
        if resumed.stopping.epochs_since_best >= PATIENCE {
            break;
        }
    }
    let same_bits = |a: &Mlp, b: &Mlp| a.bits().eq(b.bits());
    assert_eq!(resumed.epoch, run.epoch);
    assert!(
        same_bits(&resumed.model, &run.model)
            && same_bits(&resumed.stopping.best, &run.stopping.best)
    );
    assert_eq!(to_bytes(&resumed.adamw)?, to_bytes(&run.adamw)?);
    println!(
        "resumed run stopped after epoch {} with bit-identical parameters and optimizer state",
        resumed.epoch
    );

    let (test_loss, test_accuracy) = evaluate(&run.stopping.best, &test, &mut ws);
    println!(
        "\ntest (parameters of epoch {}): loss {test_loss:.4}, accuracy {:.2}%  ({:.2?} in all)",
        run.stopping.best_epoch,
        100.0 * test_accuracy,
        start.elapsed()
    );
    Ok(())
}

/// Reads `data/digits.csv`, shuffles its rows with a fixed seed and splits them 60/20/20 into
/// training, validation and test examples, pixels scaled from 0..16 to [0, 1].
fn digits() -> Result<(Split, Split, Split), Box<dyn Error>> {
    let text = include_str!("../data/digits.csv");
    let mut lines = text.lines();
    let header = lines.next().ok_or("empty file")?;
    let columns = header.split(',').count();
    if columns != FEATURES + 1 || !header.ends_with(",target") {
        return Err(format!("unexpected header: {header}").into());
    }
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for line in lines {
        let mut fields = line.split(',');
        for field in fields.by_ref().take(FEATURES) {
            pixels.push(field.parse::<f32>()? / 16.0);
        }
        let label: usize = fields.next().ok_or("missing target")?.parse()?;
        if label >= CLASSES {
            return Err(format!("digit {label} out of range").into());
        }
        labels.push(label);
    }
    let x = Array2::from_shape_vec((labels.len(), FEATURES), pixels)?;
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.shuffle(&mut Xoshiro256PlusPlus::seed_from_u64(SEED));
    let n_eval = labels.len() / 5;
    let split = |rows: &[usize]| Split {
        x: x.select(Axis(0), rows),
        y: rows.iter().map(|&i| labels[i]).collect(),
    };
    let (train, rest) = order.split_at(labels.len() - 2 * n_eval);
    let (val, test) = rest.split_at(n_eval);
    Ok((split(train), split(val), split(test)))
}

impl Mlp {
    /// Glorot-uniform weights, zero biases.
    fn new(rng: &mut Xoshiro256PlusPlus) -> Self {
        let mut glorot = |rows: usize, cols: usize| {
            let a = (6.0 / (rows + cols) as f32).sqrt();
            Array2::from_shape_simple_fn((rows, cols), || rng.random_range(-a..a))
        };
        Mlp {
            w1: glorot(FEATURES, HIDDEN),
            b1: Array1::zeros(HIDDEN),
            w2: glorot(HIDDEN, CLASSES),
            b2: Array1::zeros(CLASSES),
        }
    }

    /// The bits of every parameter, tensor after tensor.
    fn bits(&self) -> impl Iterator<Item = u32> + '_ {
        let values = self
            .w1
            .iter()
            .chain(&self.b1)
            .chain(&self.w2)
            .chain(&self.b2);
        values.map(|v| v.to_bits())
    }

    /// Overwrites `self` with `other`, reusing the memory.
    fn assign(&mut self, other: &Mlp) {
        self.w1.assign(&other.w1);
        self.b1.assign(&other.b1);
        self.w2.assign(&other.w2);
        self.b2.assign(&other.b2);
    }

    /// The forward pass over the first `rows` rows of the workspace: hidden activations into
    /// `ws.h`, probabilities into `ws.p`. Returns the summed cross-entropy and the number of
    /// correct predictions.
    fn forward(&self, ws: &mut Workspace, rows: usize) -> (f32, usize) {
        let x = ws.x.slice(s![..rows, ..]);
        let mut h = ws.h.slice_mut(s![..rows, ..]);
        affine(&x, &self.w1, &self.b1, &mut h);
        h.mapv_inplace(f32::tanh);
        let mut p = ws.p.slice_mut(s![..rows, ..]);
        affine(&h.view(), &self.w2, &self.b2, &mut p);
        let (mut loss, mut correct) = (0.0, 0);
        for (mut z, &y) in p.rows_mut().into_iter().zip(&ws.y) {
            let (argmax, max) = z
                .iter()
                .copied()
                .enumerate()
                .fold((0, f32::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
            z.mapv_inplace(|v| (v - max).exp());
            let sum = z.sum();
            loss += sum.ln() - z[y].ln();
            z /= sum;
            correct += usize::from(argmax == y);
        }
        (loss, correct)
    }

    /// The forward and backward passes over the first `rows` rows of the workspace: the
    /// gradients of the mean cross-entropy into `g`. Returns the mean cross-entropy.
    fn backward(&self, ws: &mut Workspace, rows: usize, g: &mut Gradients) -> f32 {
        let (loss, _) = self.forward(ws, rows);
        let scale = 1.0 / rows as f32;
        // dL/dz2 = (p - onehot(y)) / rows.
        let mut dz2 = ws.p.slice_mut(s![..rows, ..]);
        for (mut row, &y) in dz2.rows_mut().into_iter().zip(&ws.y) {
            row[y] -= 1.0;
            row *= scale;
        }
        let (x, h) = (ws.x.slice(s![..rows, ..]), ws.h.slice(s![..rows, ..]));
        general_mat_mul(1.0, &h.t(), &dz2, 0.0, &mut g.w2);
        sum_rows(&dz2.view(), &mut g.b2);
        // dL/dz1 = (dL/dz2 W2ᵀ) ⊙ (1 - h²).
        let mut dz1 = ws.dh.slice_mut(s![..rows, ..]);
        general_mat_mul(1.0, &dz2, &self.w2.t(), 0.0, &mut dz1);
        Zip::from(&mut dz1)
            .and(&h)
            .for_each(|d, &h| *d *= 1.0 - h * h);
        general_mat_mul(1.0, &x.t(), &dz1, 0.0, &mut g.w1);
        sum_rows(&dz1.view(), &mut g.b1);
        loss * scale
    }
}

/// `out = x w + b`, `b` added to every row.
fn affine(
    x: &ArrayView2<'_, f32>,
    w: &Array2<f32>,
    b: &Array1<f32>,
    out: &mut ArrayViewMut2<'_, f32>,
) {
    out.rows_mut().into_iter().for_each(|mut row| row.assign(b));
    general_mat_mul(1.0, x, w, 1.0, out);
}

/// `out = Σ_rows m`.
fn sum_rows(m: &ArrayView2<'_, f32>, out: &mut Array1<f32>) {
    out.fill(0.0);
    m.rows().into_iter().for_each(|row| *out += &row);
}

/// Mean cross-entropy and accuracy of `model` over `data`, in minibatches.
fn evaluate(model: &Mlp, data: &Split, ws: &mut Workspace) -> (f32, f32) {
    let (mut loss, mut correct) = (0.0, 0);
    for start in (0..data.y.len()).step_by(BATCH) {
        let rows = BATCH.min(data.y.len() - start);
        ws.x.slice_mut(s![..rows, ..])
            .assign(&data.x.slice(s![start..start + rows, ..]));
        ws.y.clear();
        ws.y.extend_from_slice(&data.y[start..start + rows]);
        let (l, c) = model.forward(ws, rows);
        loss += l;
        correct += c;
    }
    let n = data.y.len() as f32;
    (loss / n, correct as f32 / n)
}

impl Gradients {
    fn zeros() -> Self {
        Gradients {
            w1: Array2::zeros((FEATURES, HIDDEN)),
            b1: Array1::zeros(HIDDEN),
            w2: Array2::zeros((HIDDEN, CLASSES)),
            b2: Array1::zeros(CLASSES),
        }
    }
}

impl Workspace {
    fn new() -> Self {
        Workspace {
            x: Array2::zeros((BATCH, FEATURES)),
            y: Vec::with_capacity(BATCH),
            h: Array2::zeros((BATCH, HIDDEN)),
            p: Array2::zeros((BATCH, CLASSES)),
            dh: Array2::zeros((BATCH, HIDDEN)),
        }
    }
}

impl Training {
    /// A new model and optimizer, and the schedule of `MAX_EPOCHS` epochs of
    /// `steps_per_epoch` steps.
    fn new(steps_per_epoch: usize) -> Result<Self, gradus::Error> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
        let model = Mlp::new(&mut rng);
        // Tensors 0..4 are w1, b1, w2, b2: the biases (1 and 3) get no weight decay.
        let adamw = ParameterSet::new(AdamConfig {
            lr: LR,
            ..AdamConfig::adamw()
        })?
        .group(
            [1, 3],
            AdamConfig {
                lr: LR,
                weight_decay: 0.0,
                ..AdamConfig::adamw()
            },
        )?;
        let total = MAX_EPOCHS * steps_per_epoch;
        let warmup = WARMUP_EPOCHS * steps_per_epoch;
        let factor = LinearWarmup::from_factor(
            CosineAnnealing::new(1.0, total - warmup, 0.0)?,
            warmup,
            0.1,
        )?;
        Ok(Training {
            stopping: EarlyStopping {
                best_loss: f32::INFINITY,
                best_epoch: 0,
                best: model.clone(),
                epochs_since_best: 0,
            },
            model,
            adamw,
            factor,
            rng,
            epoch: 0,
        })
    }

    /// One epoch over the training examples in a new random order, then the validation loss
    /// and the early-stopping bookkeeping.
    fn epoch(
        &mut self,
        train: &Split,
        val: &Split,
        ws: &mut Workspace,
        g: &mut Gradients,
    ) -> Result<EpochReport, gradus::Error> {
        let n = train.y.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut self.rng);
        let (mut train_loss, mut norms, mut factor) = (0.0, 0.0, 0.0);
        let m = &mut self.model;
        for batch in order.chunks(BATCH) {
            for (k, &i) in batch.iter().enumerate() {
                ws.x.row_mut(k).assign(&train.x.row(i));
            }
            ws.y.clear();
            ws.y.extend(batch.iter().map(|&i| train.y[i]));
            train_loss += m.backward(ws, batch.len(), g) * batch.len() as f32;
            norms += clip_grad_norm(
                &mut [
                    g.w1.view_mut().into_dyn(),
                    g.b1.view_mut().into_dyn(),
                    g.w2.view_mut().into_dyn(),
                    g.b2.view_mut().into_dyn(),
                ],
                MAX_GRAD_NORM,
            )?;
            factor = self.factor.step_size(self.adamw.steps_taken());
            self.adamw.step_scaled(
                &mut [
                    m.w1.view_mut().into_dyn(),
                    m.b1.view_mut().into_dyn(),
                    m.w2.view_mut().into_dyn(),
                    m.b2.view_mut().into_dyn(),
                ],
                &[
                    g.w1.view().into_dyn(),
                    g.b1.view().into_dyn(),
                    g.w2.view().into_dyn(),
                    g.b2.view().into_dyn(),
                ],
                factor,
            )?;
        }
        self.epoch += 1;
        let (val_loss, val_accuracy) = evaluate(&self.model, val, ws);
        let stop = &mut self.stopping;
        if val_loss < stop.best_loss {
            stop.best_loss = val_loss;
            stop.best_epoch = self.epoch;
            stop.best.assign(&self.model);
            stop.epochs_since_best = 0;
        } else {
            stop.epochs_since_best += 1;
        }
        Ok(EpochReport {
            factor,
            train_loss: train_loss / n as f32,
            mean_grad_norm: norms / order.len().div_ceil(BATCH) as f32,
            val_loss,
            val_accuracy,
        })
    }

    /// Writes the checkpoint: model, optimizer (groups and moments), schedule, random generator,
    /// early-stopping record and epoch count.
    fn save(&self, path: &Path) -> Result<(), gradus::Error> {
        save(
            path,
            &(
                &self.model,
                &self.adamw,
                &self.factor,
                &self.rng,
                &self.stopping,
                self.epoch,
            ),
        )
    }

    /// Reads a checkpoint written by [`save`](Training::save) into fresh objects.
    fn load(path: &Path) -> Result<Self, gradus::Error> {
        let (model, adamw, factor, rng, stopping, epoch): (
            Mlp,
            AdamW,
            Factor,
            Xoshiro256PlusPlus,
            EarlyStopping,
            usize,
        ) = load(path)?;
        Ok(Training {
            model,
            adamw,
            factor,
            rng,
            stopping,
            epoch,
        })
    }
}
