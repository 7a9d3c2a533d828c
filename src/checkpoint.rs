//! Checkpoints: a rule, a parameter set, a schedule or the loop's state written to a file and
//! read back, to resume training where it stopped (the `serde` feature).
//!
//! Everything that carries state across steps implements serde's `Serialize` and `Deserialize`
//! under the `serde` feature: every rule ([`Rule`](crate::optim::Rule), [`Lbfgs`](crate::Lbfgs),
//! ...) with its configuration, step count and buffers; every schedule; a
//! [`ParameterSet`](crate::params::ParameterSet) with its groups and per-tensor states; the
//! loop's [`RunState`](crate::minimize::RunState) with the sampler's generator and its position
//! in the epoch. Any serde format can store them. [`save`] and [`load`] write and read one value
//! in a file of the crate's own, with these guarantees:
//!
//! - **Exact.** Every float is stored in binary (CBOR), NaN and infinities included, so `N`
//!   steps, a save, a load and `M` steps give the bits of `N + M` steps.
//! - **Checked.** The file starts with a signature, the format version, the name of the type
//!   saved (without module paths) and a checksum of the contents. A file that is not a checkpoint, was written by a
//!   newer format, holds another type (another rule, another float type), or is truncated or
//!   corrupted, is an [`Error::Checkpoint`] saying which; a tensor whose shape differs from the
//!   saved state is refused by the next step ([`Error::ShapeMismatch`]).
//! - **Atomic.** [`save`] writes a temporary file next to the target and renames it over the
//!   target once complete, so a save that fails part-way leaves the previous checkpoint whole.
//!
//! ```
//! use gradus::checkpoint::{load, save};
//! use gradus::{Adam, Optimizer};
//! use ndarray::array;
//!
//! let path = std::env::temp_dir().join(format!("gradus-doc-{}.ckpt", std::process::id()));
//! let (mut adam, mut x) = (Adam::default(), array![1.0_f64, -2.0]);
//! for _ in 0..3 {
//!     let g = x.clone();
//!     adam.step(x.view_mut(), g.view(), 0.1)?;
//! }
//! save(&path, &adam)?;
//! let mut resumed: Adam<f64> = load(&path)?;
//! let (mut y, g) = (x.clone(), x.clone());
//! adam.step(x.view_mut(), g.view(), 0.1)?;
//! resumed.step(y.view_mut(), g.view(), 0.1)?;
//! assert_eq!(x, y);
//! # std::fs::remove_file(&path).unwrap();
//! # Ok::<(), gradus::Error>(())
//! ```

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// The version of the file layout and of the encoding of the crate's types that [`save`]
/// writes. [`load`] reads this version and older ones.
pub const FORMAT_VERSION: u32 = 1;

/// The first bytes of every checkpoint file.
const SIGNATURE: &[u8; 8] = b"GRADUSCK";

/// Writes `value` to the file `path` as a checkpoint: signature, [`FORMAT_VERSION`], the name
/// of `T`, the length and checksum of the contents, and the contents (CBOR). The file is
/// written under a temporary name in the same directory, then renamed to `path`.
///
/// # Errors
/// [`Error::Checkpoint`] if `value` cannot be encoded or the file cannot be written; `path`
/// is then left as it was.
pub fn save<T: Serialize + ?Sized>(path: impl AsRef<Path>, value: &T) -> Result<()> {
    let path = path.as_ref();
    let bytes = to_bytes(value)?;
    let temporary = temporary_path(path);
    let written = fs::File::create(&temporary)
        .and_then(|mut file| {
            file.write_all(&bytes)?;
            file.sync_all()
        })
        .and_then(|()| fs::rename(&temporary, path));
    written.map_err(|e| {
        let _ = fs::remove_file(&temporary);
        checkpoint_error(format!("cannot write {}: {e}", path.display()))
    })
}

/// Reads a checkpoint of a `T` written by [`save`].
///
/// # Errors
/// [`Error::Checkpoint`] if the file cannot be read, is not a checkpoint, was written by a newer
/// format, holds another type than `T`, is truncated or corrupted, or does not decode.
pub fn load<T: DeserializeOwned>(path: impl AsRef<Path>) -> Result<T> {
    let path = path.as_ref();
    let bytes = fs::read(path)
        .map_err(|e| checkpoint_error(format!("cannot read {}: {e}", path.display())))?;
    from_bytes(&bytes)
}

/// The bytes [`save`] writes for `value`.
///
/// # Errors
/// [`Error::Checkpoint`] if `value` cannot be encoded.
pub fn to_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let mut contents = Vec::new();
    ciborium::into_writer(value, &mut contents)
        .map_err(|e| checkpoint_error(format!("cannot encode the value: {e}")))?;
    let kind = type_label::<T>();
    let kind = kind.as_bytes();
    let mut bytes = Vec::with_capacity(32 + kind.len() + contents.len());
    bytes.extend_from_slice(SIGNATURE);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&(kind.len() as u32).to_le_bytes());
    bytes.extend_from_slice(kind);
    bytes.extend_from_slice(&(contents.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&checksum(kind, &contents).to_le_bytes());
    bytes.extend_from_slice(&contents);
    Ok(bytes)
}

/// Reads a `T` from bytes written by [`to_bytes`] (or [`save`]).
///
/// # Errors
/// As [`load`].
pub fn from_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    let mut reader = Reader { bytes, at: 0 };
    if reader.take(SIGNATURE.len())? != SIGNATURE {
        return Err(checkpoint_error(
            "not a gradus checkpoint (the signature is missing); give a file written by \
             checkpoint::save"
                .into(),
        ));
    }
    let version = u32::from_le_bytes(reader.array()?);
    if version > FORMAT_VERSION {
        return Err(checkpoint_error(format!(
            "the file has format version {version}, newer than the version {FORMAT_VERSION} \
             this gradus reads; load it with the newer gradus that wrote it"
        )));
    }
    let kind_len = u32::from_le_bytes(reader.array()?) as usize;
    let kind = reader.take(kind_len)?;
    let contents_len = u64::from_le_bytes(reader.array()?);
    let sum = u64::from_le_bytes(reader.array()?);
    let contents = reader.rest();
    if (contents.len() as u64) < contents_len {
        return Err(checkpoint_error(format!(
            "the file is truncated: it holds {} bytes of contents where {contents_len} were \
             written",
            contents.len()
        )));
    }
    let expected = type_label::<T>();
    if kind != expected.as_bytes() {
        return Err(checkpoint_error(format!(
            "the file holds a `{}`, not a `{expected}`; load it as the type it was saved from",
            String::from_utf8_lossy(kind)
        )));
    }
    let contents = &contents[..contents_len as usize];
    if checksum(kind, contents) != sum || reader.bytes.len() != reader.at + contents.len() {
        return Err(checkpoint_error(
            "the file is corrupted: its contents do not match the checksum written with them"
                .into(),
        ));
    }
    ciborium::from_reader(contents)
        .map_err(|e| checkpoint_error(format!("the contents do not decode as `{expected}`: {e}")))
}

/// Reads the header of a checkpoint, field by field, with truncation as an error.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let end = end.ok_or_else(|| {
            checkpoint_error(format!(
                "the file is truncated: its header ends after {} bytes",
                self.bytes.len()
            ))
        })?;
        let field = &self.bytes[self.at..end];
        self.at = end;
        Ok(field)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn rest(&self) -> &'a [u8] {
        &self.bytes[self.at..]
    }
}

/// The name of `T` as a checkpoint records it: Rust's name of the type without module paths
/// and references (`(Rule<AdamConfig<f64>>, RunState<f64>)`), so that a value saved through a
/// reference loads as the value, and moving a type between modules keeps its checkpoints.
fn type_label<T: ?Sized>() -> String {
    let name = std::any::type_name::<T>();
    let mut label = String::with_capacity(name.len());
    let mut segment_start = 0;
    let mut chars = name.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        match c {
            ':' if chars.peek().map(|&(_, c)| c) == Some(':') => {
                chars.next();
                label.truncate(segment_start);
            }
            '&' => {}
            c if c.is_alphanumeric() || c == '_' => label.push(c),
            c => {
                label.push(c);
                segment_start = label.len();
            }
        }
    }
    label.replace("mut ", "")
}

/// FNV-1a (64 bits) of the type name and the contents: not a cryptographic hash, a check
/// against truncation and flipped bits.
fn checksum(kind: &[u8], contents: &[u8]) -> u64 {
    kind.iter()
        .chain(contents)
        .fold(0xcbf2_9ce4_8422_2325, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
}

/// `path` with `.tmp` appended to its file name, in the same directory.
fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

fn checkpoint_error(reason: String) -> Error {
    Error::Checkpoint { reason }
}
