//! Row ranges of data files, so that each process of a distributed run reads its own examples
//! and nothing else: NumPy's `.npy` files (by seeking to the rows) and LIBSVM's sparse text
//! format (by reading up to the last row wanted). CSV has [`read_csv_rows`](super::read_csv_rows).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;

use ndarray::{Array1, Array2};

use super::Dataset;
use crate::Real;
use crate::error::{Error, Result};

/// The rows `rows` of a NumPy `.npy` file holding a 2-D array (one example per row) or a 1-D
/// array (one value per example, returned as one column), converted to `F`.
///
/// Only the header and the rows wanted are read: the file is opened, its header parsed, and the
/// rows read from their offset. The format is NumPy's (versions 1 to 3): arrays of `f64`, `f32`,
/// `i64`, `i32`, `u8` or `bool`, little- or big-endian, in C (row-major) order, as
/// `numpy.save` and the `ndarray-npy` crate write them.
///
/// ```no_run
/// use gradus::problems::{Dataset, read_npy_rows};
///
/// // This process's shard of a data set saved as features.npy (N x d) and labels.npy (N).
/// let rows = 1_000..2_000;
/// let features = read_npy_rows::<f64>("features.npy", rows.clone())?;
/// let labels = read_npy_rows::<f64>("labels.npy", rows)?.column(0).to_owned();
/// let shard = Dataset::new(features, labels)?;
/// # Ok::<(), gradus::Error>(())
/// ```
///
/// # Errors
/// [`Error::Data`] naming the file: one that cannot be opened or read, is not an `.npy` file,
/// holds another type or more than two dimensions, is in Fortran order (save it in C order:
/// `numpy.ascontiguousarray`), is shorter than its header says, or has fewer than `rows.end`
/// rows; [`Error::Empty`] for an empty range.
pub fn read_npy_rows<F: Real>(path: impl AsRef<Path>, rows: Range<usize>) -> Result<Array2<F>> {
    let path = path.as_ref();
    let source = path.display().to_string();
    let error = |reason: String| Error::Data {
        source: source.clone(),
        line: 0,
        reason,
    };
    let io = |e: std::io::Error| error(format!("cannot be read ({e}); check the path"));
    if rows.is_empty() {
        return Err(Error::Empty { what: "rows" });
    }
    let mut file = File::open(path).map_err(io)?;
    let header = NpyHeader::read(&mut file).map_err(&error)?;
    if rows.end > header.rows {
        return Err(error(format!(
            "has {} rows, fewer than the {} that rows {}..{} need",
            header.rows, rows.end, rows.start, rows.end
        )));
    }
    let width = header.columns * header.kind.size();
    let too_large = || {
        error(format!(
            "rows {}..{} are too large to read",
            rows.start, rows.end
        ))
    };
    let offset = rows
        .start
        .checked_mul(width)
        .and_then(|o| o.checked_add(header.length))
        .ok_or_else(too_large)?;
    let bytes = rows.len().checked_mul(width).ok_or_else(too_large)?;
    file.seek(SeekFrom::Start(offset as u64)).map_err(io)?;
    let mut raw = Vec::new();
    raw.try_reserve_exact(bytes).map_err(|_| too_large())?;
    file.take(bytes as u64).read_to_end(&mut raw).map_err(io)?;
    if raw.len() < bytes {
        return Err(error(format!(
            "ends before its rows {}..{}: it is truncated",
            rows.start, rows.end
        )));
    }
    let values: Vec<F> = raw
        .chunks_exact(header.kind.size())
        .map(|b| F::lit(header.kind.decode(b, header.big_endian)))
        .collect();
    Ok(Array2::from_shape_vec((rows.len(), header.columns), values)
        .expect("one value per column and row, as read"))
}

/// The element types [`read_npy_rows`] reads.
#[derive(Debug, Clone, Copy)]
enum NpyKind {
    F64,
    F32,
    I64,
    I32,
    U8,
    Bool,
}

impl NpyKind {
    fn size(self) -> usize {
        match self {
            NpyKind::F64 | NpyKind::I64 => 8,
            NpyKind::F32 | NpyKind::I32 => 4,
            NpyKind::U8 | NpyKind::Bool => 1,
        }
    }

    fn decode(self, b: &[u8], big_endian: bool) -> f64 {
        macro_rules! number {
            ($t:ty) => {{
                let bytes = b.try_into().expect("chunks of the type's size");
                if big_endian {
                    <$t>::from_be_bytes(bytes)
                } else {
                    <$t>::from_le_bytes(bytes)
                }
            }};
        }
        match self {
            NpyKind::F64 => number!(f64),
            NpyKind::F32 => f64::from(number!(f32)),
            NpyKind::I64 => number!(i64) as f64,
            NpyKind::I32 => f64::from(number!(i32)),
            NpyKind::U8 | NpyKind::Bool => f64::from(b[0]),
        }
    }
}

/// What the header of an `.npy` file says.
#[derive(Debug)]
struct NpyHeader {
    kind: NpyKind,
    big_endian: bool,
    rows: usize,
    columns: usize,
    /// The header's length in bytes: where the data starts.
    length: usize,
}

impl NpyHeader {
    fn read(file: &mut File) -> std::result::Result<NpyHeader, String> {
        let not_npy = "is not a NumPy .npy file (it does not start with \\x93NUMPY)".to_string();
        let mut start = [0u8; 8];
        file.read_exact(&mut start).map_err(|_| not_npy.clone())?;
        if &start[..6] != b"\x93NUMPY" {
            return Err(not_npy);
        }
        let (size_bytes, lead) = match start[6] {
            1 => (2, 10),
            2 | 3 => (4, 12),
            v => return Err(format!("is in .npy format version {v}, not 1, 2 or 3")),
        };
        let mut size = [0u8; 4];
        file.read_exact(&mut size[..size_bytes])
            .map_err(|_| "ends inside its header".to_string())?;
        let dict_len = u32::from_le_bytes(size) as usize;
        let mut dict = vec![0u8; dict_len];
        file.read_exact(&mut dict)
            .map_err(|_| "ends inside its header".to_string())?;
        let dict = String::from_utf8_lossy(&dict);
        let value = |key: &str| -> std::result::Result<&str, String> {
            let at = dict
                .find(&format!("'{key}'"))
                .ok_or_else(|| format!("has no '{key}' in its header"))?;
            let rest = dict[at + key.len() + 2..].trim_start();
            Ok(rest.strip_prefix(':').unwrap_or(rest).trim_start())
        };
        let descr = value("descr")?;
        let descr = descr
            .strip_prefix('\'')
            .and_then(|d| d.split('\'').next())
            .ok_or_else(|| "has a 'descr' that is not a string".to_string())?;
        let (order, code) = descr.split_at(descr.len().min(1));
        let big_endian = order == ">";
        let kind = match code {
            "f8" => NpyKind::F64,
            "f4" => NpyKind::F32,
            "i8" => NpyKind::I64,
            "i4" => NpyKind::I32,
            "u1" => NpyKind::U8,
            "b1" => NpyKind::Bool,
            _ => {
                return Err(format!(
                    "holds values of type '{descr}'; save it as float64, float32, int64, int32, \
                     uint8 or bool"
                ));
            }
        };
        if value("fortran_order")?.starts_with("True") {
            return Err("is in Fortran (column-major) order; save it in C order \
                        (numpy.ascontiguousarray) to read its rows"
                .into());
        }
        let shape = value("shape")?;
        let shape = shape
            .strip_prefix('(')
            .and_then(|s| s.split(')').next())
            .ok_or_else(|| "has a 'shape' that is not a tuple".to_string())?;
        let dims: Vec<usize> = shape
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| {
                d.parse::<usize>()
                    .map_err(|_| format!("has a shape ({shape}) of non-integers"))
            })
            .collect::<std::result::Result<_, _>>()?;
        let (rows, columns) = match dims[..] {
            [n] => (n, 1),
            [n, d] => (n, d),
            _ => {
                return Err(format!(
                    "holds an array of shape ({shape}); give a 2-D array (one example per row) \
                     or a 1-D one"
                ));
            }
        };
        Ok(NpyHeader {
            kind,
            big_endian,
            rows,
            columns,
            length: lead + dict_len,
        })
    }
}

/// The examples `rows` (counted from 0, blank lines and comment lines not counted) of a LIBSVM
/// text file, as a dense [`Dataset`] of `features` columns: each line is a target and the
/// non-zero features as `index:value` pairs, indices counted from 1 (`1 3:0.5 10:-2`). Text
/// after `#` is a comment. The file is read line by line up to the last row wanted, and only
/// those rows are kept.
///
/// The number of features is given, not found: a process that reads some rows cannot know the
/// largest index of the others.
///
/// ```
/// use gradus::problems::read_libsvm_rows;
///
/// let path = std::env::temp_dir().join("gradus-doc-example.svm");
/// std::fs::write(&path, "1 1:0.5 3:2\n0 2:-1\n# a comment\n1 3:4 # a tail\n")?;
/// let data = read_libsvm_rows::<f64>(&path, 3, 1..3)?;
/// assert_eq!(data.features, ndarray::array![[0.0, -1.0, 0.0], [0.0, 0.0, 4.0]]);
/// assert_eq!(data.targets, ndarray::array![0.0, 1.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::Data`] naming the file and the line: a file that cannot be read, a target or value
/// that is not a finite number, a pair that is not `index:value`, an index of 0 or beyond
/// `features`, or fewer than `rows.end` rows in the file; [`Error::Empty`] for an empty range
/// or `features` of 0.
pub fn read_libsvm_rows<F: Real>(
    path: impl AsRef<Path>,
    features: usize,
    rows: Range<usize>,
) -> Result<Dataset<F>> {
    let path = path.as_ref();
    let source = path.display().to_string();
    let error = |line: usize, reason: String| Error::Data {
        source: source.clone(),
        line,
        reason,
    };
    if rows.is_empty() {
        return Err(Error::Empty { what: "rows" });
    }
    if features == 0 {
        return Err(Error::Empty { what: "features" });
    }
    let file =
        File::open(path).map_err(|e| error(0, format!("cannot be read ({e}); check the path")))?;
    let size = rows.len().checked_mul(features).ok_or_else(|| {
        error(
            0,
            format!("{} rows of {features} features are too many", rows.len()),
        )
    })?;
    let mut values = Vec::new();
    values.try_reserve_exact(size).map_err(|_| {
        error(
            0,
            format!("{} rows of {features} features are too many", rows.len()),
        )
    })?;
    let mut targets = Vec::with_capacity(rows.len());
    let number = |text: &str, line: usize, what: &str| -> Result<f64> {
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(error(
                line,
                format!("{what} `{text}` is not a finite number"),
            )),
        }
    };
    let mut row = 0usize;
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| error(i + 1, format!("cannot be read ({e})")))?;
        let content = line.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        if row >= rows.start {
            let n = i + 1;
            let mut parts = content.split_whitespace();
            let target = parts.next().unwrap_or_default();
            targets.push(F::lit(number(target, n, "the target")?));
            let first = values.len();
            values.resize(first + features, F::zero());
            for pair in parts {
                let Some((index, value)) = pair.split_once(':') else {
                    return Err(error(n, format!("`{pair}` is not an index:value pair")));
                };
                if index == "qid" {
                    continue;
                }
                let j = match index.parse::<usize>() {
                    Ok(j) if (1..=features).contains(&j) => j,
                    _ => {
                        return Err(error(
                            n,
                            format!(
                                "index `{index}` is not between 1 and the {features} features \
                                 (LIBSVM counts from 1)"
                            ),
                        ));
                    }
                };
                values[first + j - 1] = F::lit(number(value, n, "the value")?);
            }
        }
        row += 1;
        if row == rows.end {
            break;
        }
    }
    if row < rows.end {
        return Err(error(
            0,
            format!(
                "has {row} rows, fewer than the {} that rows {}..{} need",
                rows.end, rows.start, rows.end
            ),
        ));
    }
    let x = Array2::from_shape_vec((rows.len(), features), values)
        .expect("one value per feature and row, as read");
    Dataset::new(x, Array1::from(targets))
}
