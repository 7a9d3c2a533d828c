//! The CSV loader: the data sets shipped in `data/` (shapes, first rows and class counts as their
//! sources give them), the layouts a user's file may have, every malformed file as a typed
//! error naming the line and the field, and standardisation.

use approx::assert_abs_diff_eq;
use gradus::Error;
use gradus::problems::{Dataset, TargetColumn, parse_csv, read_csv};
use ndarray::array;

fn data(name: &str) -> String {
    format!("{}/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_diabetes_data_loads_as_published() {
    let table = read_csv::<f64>(data("diabetes.csv"), &TargetColumn::Last).unwrap();
    assert_eq!(table.dataset.features.dim(), (442, 10));
    assert_eq!(
        table.feature_names,
        [
            "age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"
        ]
    );
    assert_eq!(table.target_name, "target");
    // The first patient of Efron et al.'s table.
    assert_eq!(
        table.dataset.features.row(0),
        array![59.0, 2.0, 32.1, 101.0, 157.0, 93.2, 38.0, 4.0, 4.8598, 87.0]
    );
    assert_eq!(table.dataset.targets[0], 151.0);
    let named =
        read_csv::<f64>(data("diabetes.csv"), &TargetColumn::Named("target".into())).unwrap();
    assert_eq!(named, table);
}

#[test]
fn the_breast_cancer_data_loads_with_its_class_counts() {
    let table = read_csv::<f32>(data("breast_cancer.csv"), &TargetColumn::Last).unwrap();
    assert_eq!(table.dataset.features.dim(), (569, 30));
    assert_eq!(table.feature_names[0], "mean_radius");
    // 212 malignant (0) and 357 benign (1), as UCI documents the data set.
    let benign = table.dataset.targets.iter().filter(|&&y| y == 1.0).count();
    let malignant = table.dataset.targets.iter().filter(|&&y| y == 0.0).count();
    assert_eq!((malignant, benign), (212, 357));
    assert_eq!(table.dataset.features[[0, 0]], 17.99);
}

#[test]
fn quotes_spaces_crlf_a_bom_blank_lines_and_a_target_anywhere() {
    let text = "\u{feff}\"y\", a ,b\r\n1, 2,\"3\"\r\n\r\n4,5.5,-6e-1\r\n";
    let table = parse_csv::<f64>(text, &TargetColumn::Index(0)).unwrap();
    assert_eq!(table.dataset.features, array![[2.0, 3.0], [5.5, -0.6]]);
    assert_eq!(table.dataset.targets, array![1.0, 4.0]);
    assert_eq!(table.feature_names, ["a", "b"]);
    assert_eq!(table.target_name, "y");
    let by_name = parse_csv::<f64>(text, &TargetColumn::Named("a".into())).unwrap();
    assert_eq!(by_name.dataset.targets, array![2.0, 5.5]);
}

fn data_error(text: &str, target: &TargetColumn) -> (usize, String) {
    match parse_csv::<f64>(text, target) {
        Err(Error::Data { line, reason, .. }) => (line, reason),
        other => panic!("expected a data error, got {other:?}"),
    }
}

#[test]
fn malformed_tables_are_typed_errors_naming_line_and_field() {
    let last = TargetColumn::Last;
    let (line, reason) = data_error("a,b,y\n1,2,3\n4,5\n", &last);
    assert_eq!(line, 3);
    assert!(
        reason.contains("2 fields") && reason.contains("header 3"),
        "{reason}"
    );
    let (line, reason) = data_error("a,b,y\n1,2,3,4\n", &last);
    assert_eq!(line, 2);
    assert!(reason.contains("4 fields"), "{reason}");
    let (line, reason) = data_error("a,b,y\n1,x,3\n", &last);
    assert_eq!(line, 2);
    assert!(
        reason.contains("field 2 (`b`)") && reason.contains("not a number"),
        "{reason}"
    );
    let (line, reason) = data_error("a,b,y\n1,,3\n", &last);
    assert_eq!(line, 2);
    assert!(reason.contains("not a number"), "{reason}");
    let (_, reason) = data_error("a,b,y\n1,NaN,3\n", &last);
    assert!(reason.contains("missing values"), "{reason}");
    let (_, reason) = data_error("a,b,y\n1,inf,3\n", &last);
    assert!(reason.contains("not a finite number"), "{reason}");
    let (line, reason) = data_error("a,b\n1,2\n", &TargetColumn::Named("y".into()));
    assert_eq!(line, 1);
    assert!(
        reason.contains("no column named `y`") && reason.contains("a, b"),
        "{reason}"
    );
    let (_, reason) = data_error("a,b\n1,2\n", &TargetColumn::Index(2));
    assert!(reason.contains("no column 2"), "{reason}");
    let (_, reason) = data_error("only\n1\n", &last);
    assert!(reason.contains("at least one feature"), "{reason}");
    let (line, reason) = data_error("\n  \n", &last);
    assert_eq!(line, 0);
    assert!(reason.contains("empty"), "{reason}");
    assert!(matches!(
        parse_csv::<f64>("a,b\n", &last),
        Err(Error::Empty { .. })
    ));
    let missing = read_csv::<f64>(data("no_such_file.csv"), &last).unwrap_err();
    assert!(matches!(missing, Error::Data { line: 0, .. }));
    assert!(
        missing.to_string().contains("no_such_file.csv"),
        "{missing}"
    );
}

#[test]
fn standardized_columns_have_mean_zero_and_unit_population_variance() {
    let mut table = read_csv::<f64>(data("diabetes.csv"), &TargetColumn::Last).unwrap();
    let original = table.dataset.clone();
    let scaling = table.dataset.standardize();
    let n = 442.0;
    for column in table.dataset.features.columns() {
        assert_abs_diff_eq!(column.sum() / n, 0.0, epsilon = 1e-12);
        assert_abs_diff_eq!(column.dot(&column) / n, 1.0, epsilon = 1e-12);
    }
    // Undo: x = x_std · scale + mean.
    let back = &table.dataset.features * &scaling.scales + &scaling.means;
    for (a, b) in back.iter().zip(original.features.iter()) {
        assert_abs_diff_eq!(*a, *b, epsilon = 1e-9 * b.abs().max(1.0));
    }
    // Weights fitted on standardised features, written for the original ones, predict the same.
    let w = array![0.5, -1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1];
    let (w_original, shift) = scaling.unscale(w.view());
    let standardized = table.dataset.features.dot(&w);
    let raw = original.features.dot(&w_original) + shift;
    for (a, b) in standardized.iter().zip(&raw) {
        assert_abs_diff_eq!(*a, *b, epsilon = 1e-10);
    }
    let mean = table.dataset.center_targets();
    assert_abs_diff_eq!(mean, original.targets.sum() / n, epsilon = 1e-12);
    assert_abs_diff_eq!(table.dataset.targets.sum(), 0.0, epsilon = 1e-9);
    // A constant column is centred and left unscaled.
    let mut constant = Dataset::new(array![[2.0], [2.0]], array![0.0, 1.0]).unwrap();
    let s = constant.standardize();
    assert_eq!(
        (constant.features, s.scales),
        (array![[0.0], [0.0]], array![1.0])
    );
}
