//! Level lines of a function sampled on a grid, for the examples' pictures.

/// Segments of the level set `{f = level}` on a grid, by marching squares (linear interpolation
/// on each cell edge; the ambiguous saddle cells are resolved arbitrarily, which only matters at
/// the grid's resolution).
pub fn contour(values: &[Vec<f64>], xs: &[f64], ys: &[f64], level: f64) -> Vec<[(f64, f64); 2]> {
    let mut segments = Vec::new();
    for i in 0..xs.len() - 1 {
        for j in 0..ys.len() - 1 {
            // Corners counter-clockwise from (x_i, y_j).
            let corners = [
                (xs[i], ys[j], values[i][j]),
                (xs[i + 1], ys[j], values[i + 1][j]),
                (xs[i + 1], ys[j + 1], values[i + 1][j + 1]),
                (xs[i], ys[j + 1], values[i][j + 1]),
            ];
            let mut crossings = Vec::with_capacity(4);
            for e in 0..4 {
                let (x0, y0, v0) = corners[e];
                let (x1, y1, v1) = corners[(e + 1) % 4];
                if (v0 < level) != (v1 < level) {
                    let t = (level - v0) / (v1 - v0);
                    crossings.push((x0 + t * (x1 - x0), y0 + t * (y1 - y0)));
                }
            }
            for pair in crossings.chunks_exact(2) {
                segments.push([pair[0], pair[1]]);
            }
        }
    }
    segments
}
