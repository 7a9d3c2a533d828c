//! Row ranges of data files (`.npy`, LIBSVM, CSV): the rows a process of a distributed run
//! reads are the rows of the whole file, and bad files are typed errors.

use gradus::problems::{TargetColumn, read_csv, read_csv_rows, read_libsvm_rows, read_npy_rows};
use ndarray::{Array1, Array2, ShapeBuilder, s};
use ndarray_npy::write_npy;

fn temp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("gradus-rows-{}-{name}", std::process::id()))
}

#[test]
fn npy_rows_are_the_rows_numpy_wrote() {
    let a = Array2::from_shape_fn((37, 5), |(i, j)| (i * 5 + j) as f64 * 0.25 - 3.0);
    let path = temp("a.npy");
    write_npy(&path, &a).unwrap();
    for rows in [0..37, 0..1, 10..20, 36..37] {
        let part = read_npy_rows::<f64>(&path, rows.clone()).unwrap();
        assert_eq!(part, a.slice(s![rows, ..]));
    }
    // Converted to f32, and other element types.
    let part = read_npy_rows::<f32>(&path, 3..5).unwrap();
    assert_eq!(part, a.slice(s![3..5, ..]).mapv(|v| v as f32));
    let labels = Array1::from_shape_fn(37, |i| (i % 3) as i64 - 1);
    write_npy(&path, &labels).unwrap();
    let part = read_npy_rows::<f64>(&path, 30..37).unwrap();
    assert_eq!(part.column(0), labels.slice(s![30..37]).mapv(|v| v as f64));
    let small = Array2::from_shape_fn((4, 2), |(i, j)| (i + j) as f32 + 0.5);
    write_npy(&path, &small).unwrap();
    assert_eq!(
        read_npy_rows::<f64>(&path, 1..3).unwrap(),
        small.slice(s![1..3, ..]).mapv(f64::from)
    );
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn bad_npy_files_are_typed_errors() {
    let path = temp("bad.npy");
    let a = Array2::from_shape_fn((6, 2), |(i, j)| (i + j) as f64);
    write_npy(&path, &a).unwrap();
    let e = read_npy_rows::<f64>(&path, 4..9).unwrap_err().to_string();
    assert!(e.contains("has 6 rows, fewer than the 9"), "{e}");
    // Truncated.
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
    let e = read_npy_rows::<f64>(&path, 0..6).unwrap_err().to_string();
    assert!(e.contains("truncated"), "{e}");
    // Fortran order.
    let f = Array2::from_shape_vec((3, 2).f(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    write_npy(&path, &f).unwrap();
    let e = read_npy_rows::<f64>(&path, 0..1).unwrap_err().to_string();
    assert!(e.contains("Fortran"), "{e}");
    // Not an .npy file, a missing file, three dimensions.
    std::fs::write(&path, "x,y\n1,2\n").unwrap();
    let e = read_npy_rows::<f64>(&path, 0..1).unwrap_err().to_string();
    assert!(e.contains("not a NumPy .npy file"), "{e}");
    let e = read_npy_rows::<f64>(temp("missing.npy"), 0..1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot be read"), "{e}");
    write_npy(&path, &ndarray::Array3::<f64>::zeros((2, 2, 2))).unwrap();
    let e = read_npy_rows::<f64>(&path, 0..1).unwrap_err().to_string();
    assert!(e.contains("shape (2, 2, 2)"), "{e}");
    assert!(matches!(
        read_npy_rows::<f64>(&path, 1..1),
        Err(gradus::Error::Empty { .. })
    ));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn libsvm_rows_are_dense_rows_of_the_file() {
    let path = temp("a.svm");
    let text = "# leading comment\n+1 1:0.5 4:-2\n\n-1 2:1e-3 qid:3\n0 3:7 4:8 # tail\n1\n";
    std::fs::write(&path, text).unwrap();
    let all = read_libsvm_rows::<f64>(&path, 4, 0..4).unwrap();
    assert_eq!(
        all.features,
        ndarray::array![
            [0.5, 0.0, 0.0, -2.0],
            [0.0, 1e-3, 0.0, 0.0],
            [0.0, 0.0, 7.0, 8.0],
            [0.0, 0.0, 0.0, 0.0]
        ]
    );
    assert_eq!(all.targets, ndarray::array![1.0, -1.0, 0.0, 1.0]);
    let part = read_libsvm_rows::<f32>(&path, 4, 1..3).unwrap();
    assert_eq!(
        part.features,
        all.features.slice(s![1..3, ..]).mapv(|v| v as f32)
    );
    for (bad, what) in [
        ("1 0:1\n", "index `0`"),
        ("1 5:1\n", "index `5`"),
        ("1 2=1\n", "`2=1` is not an index:value pair"),
        ("x 1:1\n", "the target `x`"),
        ("1 1:nan\n", "the value `nan`"),
    ] {
        std::fs::write(&path, bad).unwrap();
        let e = read_libsvm_rows::<f64>(&path, 4, 0..1)
            .unwrap_err()
            .to_string();
        assert!(e.contains(what) && e.contains("line 1"), "{e}");
    }
    std::fs::write(&path, "1 1:1\n").unwrap();
    let e = read_libsvm_rows::<f64>(&path, 4, 0..2)
        .unwrap_err()
        .to_string();
    assert!(e.contains("has 1 rows, fewer than the 2"), "{e}");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn csv_rows_are_rows_of_the_whole_table() {
    let file = "data/diabetes.csv";
    let all = read_csv::<f64>(file, &TargetColumn::Named("target".into())).unwrap();
    for rows in [0..1, 0..442, 200..300, 441..442] {
        let part = read_csv_rows::<f64>(file, &TargetColumn::Named("target".into()), rows.clone())
            .unwrap();
        assert_eq!(
            part.dataset.features,
            all.dataset.features.slice(s![rows.clone(), ..])
        );
        assert_eq!(part.dataset.targets, all.dataset.targets.slice(s![rows]));
        assert_eq!(part.feature_names, all.feature_names);
    }
    let e = read_csv_rows::<f64>(file, &TargetColumn::Last, 400..443)
        .unwrap_err()
        .to_string();
    assert!(e.contains("has 442 rows, fewer than the 443"), "{e}");
    // A bad field in a row read is reported with its line; rows not read are not parsed.
    let path = temp("bad.csv");
    std::fs::write(&path, "a,b\n1,2\n3,x\n5,6\n").unwrap();
    let e = read_csv_rows::<f64>(&path, &TargetColumn::Last, 1..2)
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 3") && e.contains("`x`"), "{e}");
    let ok = read_csv_rows::<f64>(&path, &TargetColumn::Last, 2..3).unwrap();
    assert_eq!(ok.dataset.features, ndarray::array![[5.0]]);
    std::fs::remove_file(&path).unwrap();
}
