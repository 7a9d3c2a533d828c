//! Tables of numbers from CSV files: a [`Dataset`] from a file a user points at, and the
//! standardisation that sparse models expect.

use std::path::Path;

use ndarray::{Array1, Array2};

use super::Dataset;
use crate::Real;
use crate::error::{Error, Result};

/// Which column of a CSV table holds the targets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TargetColumn {
    /// The last column (the layout of the data sets shipped in `data/`).
    #[default]
    Last,
    /// The column with this name in the header row.
    Named(String),
    /// The column at this position, counting from 0.
    Index(usize),
}

/// A table read from CSV: the dataset and the names of its columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Table<F> {
    /// The features (every column but the target, in file order) and the targets.
    pub dataset: Dataset<F>,
    /// The names of the feature columns, in the order of the dataset's columns.
    pub feature_names: Vec<String>,
    /// The name of the target column.
    pub target_name: String,
}

/// Reads a CSV file of numbers: a header row of column names, then one example per row, with
/// the targets in the column `target` says. Fields are separated by commas, may be wrapped in
/// double quotes, and may have spaces around them; blank lines are skipped; line ends may be
/// `\n` or `\r\n`.
///
/// ```
/// use gradus::problems::{TargetColumn, read_csv};
///
/// // The diabetes data shipped with the crate (paths are relative to the working directory).
///
/// let table = read_csv::<f64>("data/diabetes.csv", &TargetColumn::Named("target".into()))?;
/// assert_eq!(table.dataset.features.dim(), (442, 10));
/// assert_eq!(table.feature_names[2], "bmi");
/// # Ok::<(), gradus::Error>(())
/// ```
///
/// # Errors
/// [`Error::Data`] naming the file, the line and the field: a file that cannot be read, a
/// header with fewer than two columns or a target column it does not have, a row with another
/// number of fields than the header, a field that is not a number, or one that is not finite
/// (missing values are not supported: remove or impute them first); [`Error::Empty`] for a file
/// with a header and no rows.
pub fn read_csv<F: Real>(path: impl AsRef<Path>, target: &TargetColumn) -> Result<Table<F>> {
    let path = path.as_ref();
    let source = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::Data {
        source: source.clone(),
        line: 0,
        reason: format!("cannot be read ({e}); check the path and that the file is UTF-8 text"),
    })?;
    parse_table(&text, &source, target)
}

/// [`read_csv`] of the examples `rows` only (counted from 0, the header and blank lines not
/// counted): the shard of one process of a distributed run
/// ([`distributed`](crate::distributed)). The file is read line by line up to the last row
/// wanted, and only those rows are kept, so that no process holds the whole table.
///
/// ```
/// use gradus::problems::{TargetColumn, read_csv, read_csv_rows};
///
/// let all = read_csv::<f64>("data/diabetes.csv", &TargetColumn::Last)?;
/// let part = read_csv_rows::<f64>("data/diabetes.csv", &TargetColumn::Last, 100..150)?;
/// assert_eq!(part.dataset.features, all.dataset.features.slice(ndarray::s![100..150, ..]));
/// assert_eq!(part.feature_names, all.feature_names);
/// # Ok::<(), gradus::Error>(())
/// ```
///
/// # Errors
/// As [`read_csv`] for the header and the rows read; [`Error::Data`] when the file has fewer
/// than `rows.end` rows, naming both; [`Error::Empty`] for an empty range.
pub fn read_csv_rows<F: Real>(
    path: impl AsRef<Path>,
    target: &TargetColumn,
    rows: std::ops::Range<usize>,
) -> Result<Table<F>> {
    use std::io::BufRead;
    let path = path.as_ref();
    let source = path.display().to_string();
    let unreadable = |e: std::io::Error| Error::Data {
        source: source.clone(),
        line: 0,
        reason: format!("cannot be read ({e}); check the path and that the file is UTF-8 text"),
    };
    if rows.is_empty() {
        return Err(Error::Empty { what: "rows" });
    }
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut lines = Vec::new();
    let mut data_rows = 0usize;
    let mut header_seen = false;
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(unreadable)?;
        if line.trim().is_empty() {
            continue;
        }
        if !header_seen {
            header_seen = true;
            lines.push((i + 1, line));
            continue;
        }
        if rows.contains(&data_rows) {
            lines.push((i + 1, line));
        }
        data_rows += 1;
        if data_rows == rows.end {
            break;
        }
    }
    if header_seen && data_rows < rows.end {
        return Err(Error::Data {
            source,
            line: 0,
            reason: format!(
                "has {data_rows} rows, fewer than the {} that rows {}..{} need",
                rows.end, rows.start, rows.end
            ),
        });
    }
    parse_lines(lines.iter().map(|(n, l)| (*n, l.as_str())), &source, target)
}

/// [`read_csv`] on text already in memory (reported as `"<text>"` in errors).
///
/// ```
/// use gradus::problems::{TargetColumn, parse_csv};
///
/// let table = parse_csv::<f64>("x,y,label\n1,2,0\n3,4.5,1\n", &TargetColumn::Last)?;
/// assert_eq!(table.dataset.features, ndarray::array![[1.0, 2.0], [3.0, 4.5]]);
/// assert_eq!(table.dataset.targets, ndarray::array![0.0, 1.0]);
/// assert_eq!((table.feature_names, table.target_name), (vec!["x".into(), "y".into()], "label".into()));
///
/// let bad = parse_csv::<f64>("x,y\n1,2\n3,oops\n", &TargetColumn::Last).unwrap_err();
/// assert_eq!(bad.to_string(), "data <text>, line 3: field 2 (`y`) is `oops`, not a number");
/// # Ok::<(), gradus::Error>(())
/// ```
///
/// # Errors
/// As [`read_csv`].
pub fn parse_csv<F: Real>(text: &str, target: &TargetColumn) -> Result<Table<F>> {
    parse_table(text, "<text>", target)
}

/// The fields of one line, unquoted and trimmed.
fn fields(line: &str) -> impl Iterator<Item = &str> {
    line.split(',').map(|f| {
        let f = f.trim();
        f.strip_prefix('"')
            .and_then(|g| g.strip_suffix('"'))
            .unwrap_or(f)
            .trim()
    })
}

fn parse_table<F: Real>(text: &str, source: &str, target: &TargetColumn) -> Result<Table<F>> {
    let lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty());
    parse_lines(lines, source, target)
}

/// The table of the numbered lines `lines` (blank ones left out): a header, then rows.
fn parse_lines<'a, F: Real>(
    mut lines: impl Iterator<Item = (usize, &'a str)>,
    source: &str,
    target: &TargetColumn,
) -> Result<Table<F>> {
    let error = |line: usize, reason: String| Error::Data {
        source: source.to_string(),
        line,
        reason,
    };
    let Some((header_line, header)) = lines
        .next()
        .map(|(n, l)| (n, l.strip_prefix('\u{feff}').unwrap_or(l)))
    else {
        return Err(error(
            0,
            "is empty; give a header row of column names, then one row per example".into(),
        ));
    };
    let names: Vec<String> = fields(header).map(str::to_string).collect();
    let columns = names.len();
    if columns < 2 {
        return Err(error(
            header_line,
            format!(
                "the header has {columns} column; a table needs at least one feature and a \
                 target, separated by commas"
            ),
        ));
    }
    let target_index = match target {
        TargetColumn::Last => columns - 1,
        TargetColumn::Index(i) if *i < columns => *i,
        TargetColumn::Index(i) => {
            return Err(error(
                header_line,
                format!("there is no column {i} (the header has {columns}, counted from 0)"),
            ));
        }
        TargetColumn::Named(name) => names.iter().position(|n| n == name).ok_or_else(|| {
            error(
                header_line,
                format!(
                    "there is no column named `{name}`; the columns are {}",
                    names.join(", ")
                ),
            )
        })?,
    };
    let mut values: Vec<F> = Vec::new();
    let mut targets: Vec<F> = Vec::new();
    for (number, line) in lines {
        let mut count = 0;
        for (j, field) in fields(line).enumerate() {
            count += 1;
            if j >= columns {
                continue;
            }
            let value: f64 = field.parse().map_err(|_| {
                error(
                    number,
                    format!(
                        "field {} (`{}`) is `{field}`, not a number",
                        j + 1,
                        names[j]
                    ),
                )
            })?;
            if !value.is_finite() {
                return Err(error(
                    number,
                    format!(
                        "field {} (`{}`) is `{field}`, not a finite number; missing values are \
                         not supported: remove or impute them first",
                        j + 1,
                        names[j]
                    ),
                ));
            }
            if j == target_index {
                targets.push(F::lit(value));
            } else {
                values.push(F::lit(value));
            }
        }
        if count != columns {
            return Err(error(
                number,
                format!("the row has {count} fields, the header {columns}"),
            ));
        }
    }
    if targets.is_empty() {
        return Err(Error::Empty {
            what: "the CSV table (a header and no rows)",
        });
    }
    let rows = targets.len();
    let features = Array2::from_shape_vec((rows, columns - 1), values)
        .expect("one value per feature and row, as counted above");
    let mut feature_names = names;
    let target_name = feature_names.remove(target_index);
    Ok(Table {
        dataset: Dataset::new(features, Array1::from(targets))?,
        feature_names,
        target_name,
    })
}

/// The shifts and scales that [`Dataset::standardize`] applied: `x_std = (x - mean) / scale`.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardization<F> {
    /// The mean of each feature column.
    pub means: Array1<F>,
    /// The population standard deviation of each feature column (divided by `N`), or `1` for a
    /// constant column (left centred, not scaled).
    pub scales: Array1<F>,
}

impl<F: Real> Standardization<F> {
    /// Weights `w` fitted on the standardised features, written for the original ones:
    /// `w_j / scale_j`, and the intercept shift `-Σ_j w_j mean_j / scale_j` to add to the
    /// model's intercept.
    pub fn unscale(&self, w: ndarray::ArrayView1<'_, F>) -> (Array1<F>, F) {
        let original = &w / &self.scales;
        let shift = -original
            .iter()
            .zip(&self.means)
            .fold(F::zero(), |s, (&w, &m)| s + w * m);
        (original, shift)
    }
}

impl<F: Real> Dataset<F> {
    /// Standardises every feature column to mean `0` and population standard deviation `1`
    /// (divided by `N`, as glmnet and scikit-learn's `StandardScaler` do), in place; returns
    /// the means and scales applied. A constant column is centred and left unscaled.
    ///
    /// Penalties like `λ|w|₁` treat every coefficient alike, so the features should be on one
    /// scale before fitting: standardised, the coefficients compare the features' effects.
    ///
    /// ```
    /// use gradus::problems::Dataset;
    /// use ndarray::array;
    ///
    /// let mut data = Dataset::new(array![[1.0, 5.0], [3.0, 5.0]], array![0.0, 1.0])?;
    /// let s = data.standardize();
    /// assert_eq!(data.features, array![[-1.0, 0.0], [1.0, 0.0]]);
    /// assert_eq!((s.means, s.scales), (array![2.0, 5.0], array![1.0, 1.0]));
    /// # Ok::<(), gradus::Error>(())
    /// ```
    pub fn standardize(&mut self) -> Standardization<F> {
        let n = F::from_count(self.len());
        let d = self.dim();
        let mut means = Array1::zeros(d);
        let mut scales = Array1::ones(d);
        for (j, mut column) in self.features.columns_mut().into_iter().enumerate() {
            let mean = column.iter().fold(F::zero(), |s, &v| s + v) / n;
            column.mapv_inplace(|v| v - mean);
            let var = column.iter().fold(F::zero(), |s, &v| s + v * v) / n;
            let sd = var.sqrt();
            if sd > F::zero() {
                column.mapv_inplace(|v| v / sd);
                scales[j] = sd;
            }
            means[j] = mean;
        }
        Standardization { means, scales }
    }

    /// Centres the targets to mean `0`, in place, and returns the mean removed (the intercept
    /// of a linear model fitted to centred targets on centred features).
    pub fn center_targets(&mut self) -> F {
        let mean = self.targets.iter().fold(F::zero(), |s, &v| s + v) / F::from_count(self.len());
        self.targets.mapv_inplace(|v| v - mean);
        mean
    }
}
